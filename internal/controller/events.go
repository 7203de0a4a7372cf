package controller

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/siteops/invitation-operator/internal/provider"
)

// maxEventNote is the Events API's limit on a note (events.k8s.io/v1: 1 kB); a longer note makes the API
// server refuse the event, and it is lost.
const maxEventNote = 1024

// boundedRecorder cuts every note to what the Events API accepts, on a character boundary, so that no
// event is dropped for a long provider message.
type boundedRecorder struct{ events.EventRecorder }

// Eventf formats the note and records it cut to maxEventNote.
func (b boundedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	b.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s", provider.Truncate(fmt.Sprintf(note, args...), maxEventNote))
}
