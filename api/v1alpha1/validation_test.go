package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Valid objects every bad case starts from; each case breaks exactly one rule.
const (
	wordpressInvitation = `
apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {generateName: wp-}
spec:
  provider: WordPress
  providerRef: {name: wpcom}
  site: example.wordpress.com
  roles: [author]
  emails: [ada@example.com, grace@example.com]
`
	wixInvitation = `
apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {generateName: wix-}
spec:
  provider: Wix
  providerRef: {kind: ClusterInvitationProvider, name: wix}
  site: 1f2d3c4b-5a69-4788-99aa-bbccddeeff00
  roles: ["6600344420111308827"]
  emails: [linus@example.com]
`
	namespacedProvider = `
apiVersion: invitations.siteops.dev/v1alpha1
kind: InvitationProvider
metadata: {generateName: prov-}
spec:
  wordpress: {}
  secretRef: {name: wpcom-token, key: token}
`
	ghostInvitation = `
apiVersion: invitations.siteops.dev/v1alpha1
kind: SiteInvitation
metadata: {generateName: ghost-}
spec:
  provider: Ghost
  providerRef: {kind: ClusterInvitationProvider, name: ghost}
  site: https://blog.example.com
  roles: [Author]
  emails: [ada@example.com]
`
	ghostProvider = `
apiVersion: invitations.siteops.dev/v1alpha1
kind: InvitationProvider
metadata: {generateName: gprov-}
spec:
  ghost: {keyType: StaffToken, sites: ["https://blog.example.com"]}
  secretRef: {name: ghost-key, key: key}
`
	clusterProvider = `
apiVersion: invitations.siteops.dev/v1alpha1
kind: ClusterInvitationProvider
metadata: {generateName: cprov-}
spec:
  wix: {}
  secretRef: {name: wix-api-key, namespace: invitation-system, key: apiKey}
`
)

// object parses one of the YAML bases above into an unstructured object, so a case can set any field,
// including ones the Go types cannot express (unknown fields, wrong types).
func object(t *testing.T, base string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(base), &u.Object); err != nil {
		t.Fatal(err)
	}
	if u.GetKind() != "ClusterInvitationProvider" {
		u.SetNamespace("default")
	}
	return u
}

func set(value any, path ...string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		if err := unstructured.SetNestedField(u.Object, value, path...); err != nil {
			panic(err)
		}
	}
}

func del(path ...string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) { unstructured.RemoveNestedField(u.Object, path...) }
}

func manyEmails(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("person%d@example.com", i)
	}
	return out
}

func strings_(ss ...string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// create sends u to the API server the way kubectl does (strict field validation).
func create(ctx context.Context, u *unstructured.Unstructured) error {
	return k8s.Create(ctx, u, client.FieldValidation("Strict"))
}

func TestSamplesApply(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "samples-"}}
	g.Expect(k8s.Create(ctx, ns)).To(Succeed())

	files, err := filepath.Glob(filepath.Join(env.Root, "config", "samples", "invitations_*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).To(HaveLen(6))
	for _, f := range files {
		b, err := os.ReadFile(f)
		g.Expect(err).NotTo(HaveOccurred())
		u := &unstructured.Unstructured{}
		g.Expect(yaml.Unmarshal(b, &u.Object)).To(Succeed(), f)
		if u.GetKind() != "ClusterInvitationProvider" {
			u.SetNamespace(ns.Name)
		}
		g.Expect(create(ctx, u)).To(Succeed(), f)
	}
}

func TestInvalidObjectsAreRejectedWithAClearMessage(t *testing.T) {
	longLocal := strings.Repeat("a", 300) + "@example.com"
	local65 := strings.Repeat("a", 65) + "@example.com"
	cases := []struct {
		name   string
		base   string
		mutate func(*unstructured.Unstructured)
		want   []string // every string must appear in the API server's answer
	}{
		// emails
		{"uppercase email", wordpressInvitation, set(strings_("Ada@example.com"), "spec", "emails"),
			[]string{`spec.emails[0]: Invalid value: "Ada@example.com": emails must be lowercase, e.g. ada@example.com`}},
		{"display name in email", wordpressInvitation, set(strings_("Ada <ada@example.com>"), "spec", "emails"),
			[]string{`spec.emails[0]: Invalid value: "Ada <ada@example.com>": emails must be bare addresses such as ada@example.com, without a display name or angle brackets`}},
		{"duplicate email", wordpressInvitation, set(strings_("ada@example.com", "ada@example.com"), "spec", "emails"),
			[]string{`spec.emails[1]: Duplicate value: "ada@example.com"`}},
		{"501 emails", wordpressInvitation, set(manyEmails(501), "spec", "emails"),
			[]string{`spec.emails: Too many: 501: must have at most 500 items`}},
		{"empty email list", wordpressInvitation, set([]any{}, "spec", "emails"),
			[]string{`spec.emails: Invalid value: 0: spec.emails in body should have at least 1 items`}},
		{"no email list", wordpressInvitation, del("spec", "emails"),
			[]string{`spec.emails: Required value`}},
		{"300-character local part", wordpressInvitation, set(strings_(longLocal), "spec", "emails"),
			[]string{`spec.emails[0]: Too long: may not be more than 254 bytes`}},
		{"65-character local part", wordpressInvitation, set(strings_(local65), "spec", "emails"),
			[]string{`spec.emails[0]: Invalid value: "` + local65 + `": the part of an email before '@' may be at most 64 characters`}},
		{"email without a domain", wordpressInvitation, set(strings_("ada@localhost"), "spec", "emails"),
			[]string{`spec.emails[0]: Invalid value: "ada@localhost": spec.emails[0] in body should match`}},
		{"email with two @", wordpressInvitation, set(strings_("ada@b@example.com"), "spec", "emails"),
			[]string{`spec.emails[0]: Invalid value: "ada@b@example.com": spec.emails[0] in body should match`}},
		{"email with a leading dot", wordpressInvitation, set(strings_(".ada@example.com"), "spec", "emails"),
			[]string{`spec.emails[0]: Invalid value: ".ada@example.com": spec.emails[0] in body should match`}},
		// roles
		{"two roles for WordPress", wordpressInvitation, set(strings_("author", "editor"), "spec", "roles"),
			[]string{`spec: Invalid value: WordPress invites take exactly one role in spec.roles`}},
		{"WordPress role with capitals", wordpressInvitation, set(strings_("Author"), "spec", "roles"),
			[]string{`spec: Invalid value: WordPress roles are role names such as author or editor`}},
		{"Wix role that is not an ID", wixInvitation, set(strings_("admin"), "spec", "roles"),
			[]string{`spec: Invalid value: Wix roles are numeric role (policy) IDs of at most 20 digits, such as 6600344420111308827`}},
		{"Wix role of 21 digits", wixInvitation, set(strings_(strings.Repeat("6", 21)), "spec", "roles"),
			[]string{`Wix roles are numeric role (policy) IDs of at most 20 digits`}},
		// lifecycle
		{"negative afterExpiry", wixInvitation, set(map[string]any{"afterExpiry": "-1h", "maxResends": int64(1)}, "spec", "resendPolicy"),
			[]string{`spec.resendPolicy.afterExpiry: Invalid value: "-1h": afterExpiry must be a duration from 0s to 2160h (90 days), such as 0s, 24h or 72h`}},
		{"afterExpiry over 90 days", wixInvitation, set(map[string]any{"afterExpiry": "2161h", "maxResends": int64(1)}, "spec", "resendPolicy"),
			[]string{`afterExpiry must be a duration from 0s to 2160h (90 days)`}},
		{"afterExpiry in days", wixInvitation, set(map[string]any{"afterExpiry": "3d", "maxResends": int64(1)}, "spec", "resendPolicy"),
			[]string{`afterExpiry must be a duration from 0s to 2160h (90 days)`}},
		{"afterExpiry that is not a duration", wixInvitation, set(map[string]any{"afterExpiry": "soon", "maxResends": int64(1)}, "spec", "resendPolicy"),
			[]string{`afterExpiry must be a duration from 0s to 2160h (90 days)`}},
		{"zero resends", wixInvitation, set(map[string]any{"maxResends": int64(0)}, "spec", "resendPolicy"),
			[]string{`spec.resendPolicy.maxResends: Invalid value: 0: spec.resendPolicy.maxResends in body should be greater than or equal to 1`}},
		{"negative resends", wixInvitation, set(map[string]any{"maxResends": int64(-3)}, "spec", "resendPolicy"),
			[]string{`spec.resendPolicy.maxResends in body should be greater than or equal to 1`}},
		{"eleven resends", wixInvitation, set(map[string]any{"maxResends": int64(11)}, "spec", "resendPolicy"),
			[]string{`spec.resendPolicy.maxResends: Invalid value: 11: spec.resendPolicy.maxResends in body should be less than or equal to 10`}},
		{"an absurd number of resends", wixInvitation, set(map[string]any{"maxResends": int64(1) << 40}, "spec", "resendPolicy"),
			[]string{`spec.resendPolicy.maxResends`}},
		{"a resend policy without a count", wixInvitation, set(map[string]any{"afterExpiry": "1h"}, "spec", "resendPolicy"),
			[]string{`spec.resendPolicy.maxResends: Required value`}},
		{"roleChangePolicy Update", wixInvitation, set("Update", "spec", "roleChangePolicy"),
			[]string{`spec.roleChangePolicy: Unsupported value: "Update": supported values: "Keep", "Reissue"`}},
		{"eleven Wix roles", wixInvitation, set(strings_("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"), "spec", "roles"),
			[]string{`spec.roles: Too many: 11: must have at most 10 items`}},
		{"no roles", wixInvitation, set([]any{}, "spec", "roles"),
			[]string{`spec.roles: Invalid value: 0: spec.roles in body should have at least 1 items`}},
		// provider-specific fields
		{"message with Wix", wixInvitation, set("hello", "spec", "message"),
			[]string{`spec: Invalid value: spec.message is only supported by WordPress; Wix sends its own invitation text`}},
		{"501-character message", wordpressInvitation, set(strings.Repeat("m", 501), "spec", "message"),
			[]string{`spec.message: Too long: may not be more than 500 bytes`}},
		{"wix block on a WordPress object", wordpressInvitation, set(map[string]any{"invitePurpose": "x"}, "spec", "wix"),
			[]string{`spec: Invalid value: spec.wix is only allowed when spec.provider is Wix`}},
		{"wordpress block on a Wix object", wixInvitation, set(map[string]any{"isExternal": true}, "spec", "wordpress"),
			[]string{`spec: Invalid value: spec.wordpress is only allowed when spec.provider is WordPress`}},
		{"bad email language", wixInvitation, set("english", "spec", "wix", "defaultEmailLanguage"),
			[]string{`spec.wix.defaultEmailLanguage: Too long: may not be more than 5 bytes`}},
		{"location that is not a GUID", wixInvitation, set(strings_("store-1"), "spec", "wix", "locationIDs"),
			[]string{`spec.wix.locationIDs[0]: Invalid value: "store-1": spec.wix.locationIDs[0] in body should match`}},
		// provider, site, references, policies
		{"unknown provider", wordpressInvitation, set("Squarespace", "spec", "provider"),
			[]string{`spec.provider: Unsupported value: "Squarespace": supported values: "Wix", "WordPress"`}},
		{"providerRef kind Secret", wordpressInvitation, set("Secret", "spec", "providerRef", "kind"),
			[]string{`spec.providerRef.kind: Unsupported value: "Secret": supported values: "InvitationProvider", "ClusterInvitationProvider"`}},
		{"providerRef without name", wordpressInvitation, del("spec", "providerRef", "name"),
			[]string{`spec.providerRef.name: Required value`}},
		{"removalPolicy Delete", wordpressInvitation, set("Delete", "spec", "removalPolicy"),
			[]string{`spec.removalPolicy: Unsupported value: "Delete": supported values: "Keep", "Revoke"`}},
		{"empty site", wordpressInvitation, set("", "spec", "site"),
			[]string{`spec.site: Invalid value: "": spec.site in body should be at least 1 chars long`}},
		{"254-character site", wordpressInvitation, set(strings.Repeat("a", 250)+".com", "spec", "site"),
			[]string{`spec.site: Too long: may not be more than 253 bytes`}},
		{"Wix site that is not a GUID", wixInvitation, set("my-shop", "spec", "site"),
			[]string{`spec: Invalid value: a Wix site is the site ID, a GUID such as 1f2d3c4b-5a69-4788-99aa-bbccddeeff00`}},
		{"WordPress site with capitals", wordpressInvitation, set("Example.WordPress.com", "spec", "site"),
			[]string{`spec: Invalid value: a WordPress site is a numeric blog ID or a lowercase domain such as example.wordpress.com`}},
		// Ghost
		{"Ghost site that is not a URL", ghostInvitation, set("blog.example.com", "spec", "site"),
			[]string{`spec: Invalid value: a Ghost site is the site's URL, such as https://blog.example.com`}},
		{"Ghost site over plain http", ghostInvitation, set("http://blog.example.com", "spec", "site"),
			[]string{`a Ghost site is the site's URL, such as https://blog.example.com: https, or plain http only to a loopback address`}},
		{"Ghost site over plain http in capitals", ghostInvitation, set("HTTP://10.0.0.7", "spec", "site"),
			[]string{`a Ghost site is the site's URL`}},
		{"unknown Ghost role", ghostInvitation, set(strings_("Owner"), "spec", "roles"),
			[]string{`spec: Invalid value: Ghost invites take exactly one role in spec.roles: Contributor, Author, Editor, Administrator or Super Editor`}},
		{"lowercase Ghost role", ghostInvitation, set(strings_("author"), "spec", "roles"),
			[]string{`Ghost invites take exactly one role`}},
		{"two Ghost roles", ghostInvitation, set(strings_("Author", "Editor"), "spec", "roles"),
			[]string{`Ghost invites take exactly one role`}},
		{"message with Ghost", ghostInvitation, set("hi", "spec", "message"),
			[]string{`spec.message is only supported by WordPress`}},
		{"Ghost provider without sites", ghostProvider, del("spec", "ghost", "sites"),
			[]string{`spec.ghost.sites: Required value`}},
		{"Ghost provider without a key type", ghostProvider, del("spec", "ghost", "keyType"),
			[]string{`spec.ghost.keyType: Required value`}},
		{"Ghost provider with an unknown key type", ghostProvider, set("ContentKey", "spec", "ghost", "keyType"),
			[]string{`spec.ghost.keyType: Unsupported value: "ContentKey": supported values: "StaffToken", "Integration"`}},
		{"Ghost site that is not a URL on a provider", ghostProvider, set(strings_("blog"), "spec", "ghost", "sites"),
			[]string{`spec.ghost.sites[0]: Invalid value: "blog": spec.ghost.sites must be absolute http(s) URLs`}},
		{"Ghost site with a query", ghostProvider, set(strings_("https://blog.example.com/?x=1"), "spec", "ghost", "sites"),
			[]string{`spec.ghost.sites must be absolute http(s) URLs without user info, a query or a fragment`}},
		{"plain http Ghost site on a namespaced provider, even loopback", ghostProvider, set(strings_("http://127.0.0.1:2368"), "spec", "ghost", "sites"),
			[]string{`spec: Invalid value: spec.ghost.sites must use https on an InvitationProvider`}},
		{"plain http Ghost site on a cluster provider to a private address", clusterProvider, func(u *unstructured.Unstructured) {
			del("spec", "wix")(u)
			set(map[string]any{"keyType": "Integration", "sites": strings_("HTTP://10.1.2.3:2368")}, "spec", "ghost")(u)
		}, []string{`spec.ghost.sites must use https; plain http is allowed only to a loopback address`}},
		{"Ghost and Wix on one provider", ghostProvider, set(map[string]any{}, "spec", "wix"),
			[]string{`set exactly one of spec.wix, spec.wordpress and spec.ghost`}},
		{"21 Ghost sites", ghostProvider, set(strings_("https://a1.example.com", "https://a2.example.com", "https://a3.example.com", "https://a4.example.com",
			"https://a5.example.com", "https://a6.example.com", "https://a7.example.com", "https://a8.example.com", "https://a9.example.com", "https://a10.example.com",
			"https://a11.example.com", "https://a12.example.com", "https://a13.example.com", "https://a14.example.com", "https://a15.example.com",
			"https://a16.example.com", "https://a17.example.com", "https://a18.example.com", "https://a19.example.com", "https://a20.example.com",
			"https://a21.example.com"), "spec", "ghost", "sites"),
			[]string{`spec.ghost.sites: Too many: 21: must have at most 20 items`}},
		{"unknown field", wordpressInvitation, set("yes", "spec", "sendNow"),
			[]string{`unknown field "spec.sendNow"`}},
		// providers
		{"provider with both wix and wordpress", namespacedProvider, set(map[string]any{}, "spec", "wix"),
			[]string{`spec: Invalid value: set exactly one of spec.wix, spec.wordpress and spec.ghost`}},
		{"provider with neither wix nor wordpress", namespacedProvider, del("spec", "wordpress"),
			[]string{`spec: Invalid value: set exactly one of spec.wix, spec.wordpress and spec.ghost`}},
		{"namespaced provider naming another namespace", namespacedProvider, set("kube-system", "spec", "secretRef", "namespace"),
			[]string{`spec: Invalid value: spec.secretRef.namespace is not allowed on InvitationProvider: the Secret must be in the provider's namespace`}},
		{"baseURL on a namespaced provider", namespacedProvider, set("https://example.com", "spec", "baseURL"),
			[]string{`unknown field "spec.baseURL"`}},
		{"http baseURL in capitals to a private address", clusterProvider, set("HTTP://10.0.0.1:8080", "spec", "baseURL"),
			[]string{`spec.baseURL: Invalid value: "HTTP://10.0.0.1:8080": spec.baseURL must use https; plain http is allowed only to a loopback address`}},
		{"mixed-case http baseURL to a name", clusterProvider, set("Http://wix.internal", "spec", "baseURL"),
			[]string{`spec.baseURL must use https; plain http is allowed only to a loopback address`}},
		{"providerRef name that is not an object name", wordpressInvitation, set("My_Provider", "spec", "providerRef", "name"),
			[]string{`spec.providerRef.name: Invalid value: "My_Provider": providerRef.name must be a Kubernetes object name`}},
		{"secretRef name that is not an object name", namespacedProvider, set("Token Secret", "spec", "secretRef", "name"),
			[]string{`spec.secretRef.name: Invalid value: "Token Secret": secretRef.name must be a Kubernetes object name`}},
		{"secretRef namespace that is not a namespace name", clusterProvider, set("ops.team", "spec", "secretRef", "namespace"),
			[]string{`spec.secretRef.namespace: Invalid value: "ops.team": secretRef.namespace must be a namespace name`}},
		{"policy allowing zero emails", namespacedProvider, set(int64(0), "spec", "policy", "maxEmailsPerObject"),
			[]string{`spec.policy.maxEmailsPerObject: Invalid value: 0: spec.policy.maxEmailsPerObject in body should be greater than or equal to 1`}},
		{"policy allowing 501 emails", namespacedProvider, set(int64(501), "spec", "policy", "maxEmailsPerObject"),
			[]string{`spec.policy.maxEmailsPerObject: Invalid value: 501: spec.policy.maxEmailsPerObject in body should be less than or equal to 500`}},
		{"policy email domain with a bare wildcard", namespacedProvider, set(strings_("*example.com"), "spec", "policy", "allowedEmailDomains"),
			[]string{`spec.policy.allowedEmailDomains[0]: Invalid value: "*example.com": spec.policy.allowedEmailDomains[0] in body should match`}},
		{"policy email domain in capitals", namespacedProvider, set(strings_("Example.com"), "spec", "policy", "allowedEmailDomains"),
			[]string{`spec.policy.allowedEmailDomains[0] in body should match`}},
		{"policy email domain written as an address", namespacedProvider, set(strings_("ada@example.com"), "spec", "policy", "allowedEmailDomains"),
			[]string{`spec.policy.allowedEmailDomains[0] in body should match`}},
		{"policy with 21 roles", namespacedProvider, set(strings_("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21"), "spec", "policy", "allowedRoles"),
			[]string{`spec.policy.allowedRoles: Too many: 21: must have at most 20 items`}},
		{"policy with an empty site", clusterProvider, set(strings_(""), "spec", "policy", "allowedSites"),
			[]string{`spec.policy.allowedSites[0]: Invalid value: "": spec.policy.allowedSites[0] in body should be at least 1 chars long`}},
		{"policy with a duplicate role", clusterProvider, set(strings_("author", "author"), "spec", "policy", "allowedRoles"),
			[]string{`spec.policy.allowedRoles[1]: Duplicate value: "author"`}},
		{"unknown policy field", clusterProvider, set(true, "spec", "policy", "allowEverything"),
			[]string{`unknown field "spec.policy.allowEverything"`}},
		{"manageAdoptedInvites that is not a boolean", wordpressInvitation, set("yes", "spec", "manageAdoptedInvites"),
			[]string{`spec.manageAdoptedInvites: Invalid value: "string": spec.manageAdoptedInvites in body must be of type boolean`}},
		{"http baseURL to a non-loopback host", clusterProvider, set("http://wix.internal:8080", "spec", "baseURL"),
			[]string{`spec.baseURL: Invalid value: "http://wix.internal:8080": spec.baseURL must use https; plain http is allowed only to a loopback address`}},
		{"http baseURL to a host that starts like loopback", clusterProvider, set("http://127.0.0.1.evil.example:80", "spec", "baseURL"),
			[]string{`spec.baseURL: Invalid value: "http://127.0.0.1.evil.example:80": spec.baseURL must use https; plain http is allowed only to a loopback address`}},
		{"baseURL with credentials", clusterProvider, set("https://user:pw@api.example.com", "spec", "baseURL"),
			[]string{`spec.baseURL: Invalid value: "https://user:pw@api.example.com": spec.baseURL may not contain user info, a query or a fragment`}},
		{"baseURL that is not a URL", clusterProvider, set("wixapis", "spec", "baseURL"),
			[]string{`spec.baseURL: Invalid value: "wixapis": spec.baseURL must be an absolute http(s) URL`}},
		{"ftp baseURL", clusterProvider, set("ftp://127.0.0.1/", "spec", "baseURL"),
			[]string{`spec.baseURL: Invalid value: "ftp://127.0.0.1/": spec.baseURL must be an absolute http(s) URL`}},
		{"Wix account that is not a GUID", clusterProvider, set("acct-1", "spec", "wix", "accountID"),
			[]string{`spec.wix.accountID: Invalid value: "acct-1": spec.wix.accountID in body should match`}},
		{"zero requests per minute", namespacedProvider, set(int64(0), "spec", "rateLimit", "requestsPerMinute"),
			[]string{`spec.rateLimit.requestsPerMinute: Invalid value: 0: spec.rateLimit.requestsPerMinute in body should be greater than or equal to 1`}},
		{"batch size 51", namespacedProvider, set(int64(51), "spec", "batchSize"),
			[]string{`spec.batchSize: Invalid value: 51: spec.batchSize in body should be less than or equal to 50`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			u := object(t, tc.base)
			tc.mutate(u)
			err := create(context.Background(), u)
			g.Expect(err).To(HaveOccurred(), "the API server stored the object")
			for _, want := range tc.want {
				g.Expect(err.Error()).To(ContainSubstring(want))
			}
		})
	}
}

func TestValidObjectsAreAccepted(t *testing.T) {
	cases := []struct {
		name   string
		base   string
		mutate func(*unstructured.Unstructured)
	}{
		{"500 emails", wordpressInvitation, set(manyEmails(500), "spec", "emails")},
		{"64-character local part", wordpressInvitation, set(strings_(strings.Repeat("a", 64)+"@example.com"), "spec", "emails")},
		{"plus addressing and subdomains", wordpressInvitation, set(strings_("ada+blog@mail.example.co.uk", "o'brien@example.ie"), "spec", "emails")},
		{"numeric blog ID", wordpressInvitation, set("123456789", "spec", "site")},
		{"ten Wix roles", wixInvitation, set(strings_("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), "spec", "roles")},
		{"Wix options", wixInvitation, set(map[string]any{"invitePurpose": "help", "defaultEmailLanguage": "pt-BR",
			"locationIDs": strings_("0b5c4f8e-2a61-4c3e-9d47-6f0a1b2c3d4e")}, "spec", "wix")},
		{"loopback http baseURL", clusterProvider, set("http://127.0.0.1:8080", "spec", "baseURL")},
		{"IPv6 loopback http baseURL", clusterProvider, set("http://[::1]:9000/api", "spec", "baseURL")},
		{"localhost http baseURL", clusterProvider, set("http://localhost:9000", "spec", "baseURL")},
		{"https baseURL", clusterProvider, set("https://www.wixapis.com", "spec", "baseURL")},
		{"HTTPS baseURL in capitals", clusterProvider, set("HTTPS://WWW.WIXAPIS.COM", "spec", "baseURL")},
		{"loopback http baseURL in capitals", clusterProvider, set("HTTP://LOCALHOST:9000", "spec", "baseURL")},
		{"cluster provider without a Secret namespace (the cluster resource namespace)", clusterProvider, del("spec", "secretRef", "namespace")},
		{"cluster provider admitting every namespace", clusterProvider, set(map[string]any{}, "spec", "namespaceSelector")},
		{"a full policy", clusterProvider, set(map[string]any{"allowedSites": strings_("*.wordpress.com", "1f2d3c4b-5a69-4788-99aa-bbccddeeff00"),
			"allowedRoles": strings_("author", "6600344420111308827"), "allowedEmailDomains": strings_("example.com", "*.example.org"),
			"maxEmailsPerObject": int64(100)}, "spec", "policy")},
		{"manage adopted invites", wordpressInvitation, set(true, "spec", "manageAdoptedInvites")},
		{"a Wix role of 20 digits", wixInvitation, set(strings_(strings.Repeat("9", 20)), "spec", "roles")},
		{"a resend policy", wixInvitation, set(map[string]any{"afterExpiry": "1h30m", "maxResends": int64(10)}, "spec", "resendPolicy")},
		{"a resend policy at once, at the longest wait", wixInvitation, set(map[string]any{"afterExpiry": "2160h", "maxResends": int64(1)}, "spec", "resendPolicy")},
		{"roleChangePolicy Reissue", wordpressInvitation, set("Reissue", "spec", "roleChangePolicy")},
		{"a Ghost invitation", ghostInvitation, func(*unstructured.Unstructured) {}},
		{"a Ghost site in a subdirectory, role Super Editor", ghostInvitation, func(u *unstructured.Unstructured) {
			set("https://example.com/blog", "spec", "site")(u)
			set(strings_("Super Editor"), "spec", "roles")(u)
		}},
		{"a loopback Ghost site over http", ghostInvitation, set("http://127.0.0.1:2368", "spec", "site")},
		{"a Ghost provider", ghostProvider, func(*unstructured.Unstructured) {}},
		{"a loopback Ghost site on a cluster provider", clusterProvider, func(u *unstructured.Unstructured) {
			del("spec", "wix")(u)
			set(map[string]any{"keyType": "StaffToken", "sites": strings_("http://127.0.0.1:2368", "https://blog.example.com")}, "spec", "ghost")(u)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := object(t, tc.base)
			tc.mutate(u)
			NewWithT(t).Expect(create(context.Background(), u)).To(Succeed())
		})
	}
}

func TestDefaultsAreApplied(t *testing.T) {
	g := NewWithT(t)
	u := object(t, wordpressInvitation)
	g.Expect(create(context.Background(), u)).To(Succeed())
	policy, _, _ := unstructured.NestedString(u.Object, "spec", "removalPolicy")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "providerRef", "kind")
	roles, _, _ := unstructured.NestedString(u.Object, "spec", "roleChangePolicy")
	g.Expect(policy).To(Equal("Keep"))
	g.Expect(kind).To(Equal("InvitationProvider"))
	g.Expect(roles).To(Equal("Keep"))

	u = object(t, wixInvitation)
	g.Expect(unstructured.SetNestedField(u.Object, map[string]any{"maxResends": int64(2)}, "spec", "resendPolicy")).To(Succeed())
	g.Expect(create(context.Background(), u)).To(Succeed())
	after, _, _ := unstructured.NestedString(u.Object, "spec", "resendPolicy", "afterExpiry")
	g.Expect(after).To(Equal("0s"), "a resend policy resends at once unless told to wait")
}

func TestUnsafeChangesAreRejected(t *testing.T) {
	cases := []struct {
		name   string
		base   string
		mutate func(*unstructured.Unstructured)
		want   string
	}{
		{"changing site", wordpressInvitation, set("other.wordpress.com", "spec", "site"),
			`spec.site: Invalid value: "other.wordpress.com": spec.site is immutable: create a new SiteInvitation for another site`},
		{"changing provider", wordpressInvitation, set("Wix", "spec", "provider"),
			`spec.provider: Invalid value: "Wix": spec.provider is immutable: create a new SiteInvitation for another provider`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			ctx := context.Background()
			u := object(t, tc.base)
			g.Expect(create(ctx, u)).To(Succeed())
			tc.mutate(u)
			err := k8s.Update(ctx, u)
			g.Expect(err).To(HaveOccurred())
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		})
	}

	t.Run("changing emails, roles and policy is allowed", func(t *testing.T) {
		g := NewWithT(t)
		ctx := context.Background()
		u := object(t, wordpressInvitation)
		g.Expect(create(ctx, u)).To(Succeed())
		set(strings_("ada@example.com", "alan@example.com"), "spec", "emails")(u)
		set(strings_("editor"), "spec", "roles")(u)
		set("Revoke", "spec", "removalPolicy")(u)
		g.Expect(k8s.Update(ctx, u)).To(Succeed())
	})
}
