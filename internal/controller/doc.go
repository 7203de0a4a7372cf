// Package controller holds the reconcilers of SiteInvitation, InvitationProvider and
// ClusterInvitationProvider. Provider work goes through the small interface in internal/provider; the
// ledger (desired emails vs status → plan) is pure and kept apart from I/O. docs/idempotency.md walks
// through the protocol these files implement, one concern per file.
package controller
