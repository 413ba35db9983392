package api

import (
	"fmt"
	"net/http"
	"strings"
)

// Status is the body of every error answer of the API, as in Kubernetes.
type Status struct {
	TypeMeta `json:",inline"`
	Metadata ListMeta       `json:"metadata"`
	Status   string         `json:"status,omitempty"`
	Message  string         `json:"message,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Details  *StatusDetails `json:"details,omitempty"`
	Code     int32          `json:"code,omitempty"`
}

// StatusDetails names the object an error is about and its causes.
type StatusDetails struct {
	Name   string        `json:"name,omitempty"`
	Group  string        `json:"group,omitempty"`
	Kind   string        `json:"kind,omitempty"`
	Causes []StatusCause `json:"causes,omitempty"`
}

// StatusCause is one problem, with the field it is about.
type StatusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Status reasons.
const (
	ReasonNotFound        = "NotFound"
	ReasonAlreadyExists   = "AlreadyExists"
	ReasonConflict        = "Conflict"
	ReasonInvalid         = "Invalid"
	ReasonBadRequest      = "BadRequest"
	ReasonUnauthorized    = "Unauthorized"
	ReasonForbidden       = "Forbidden"
	ReasonGone            = "Expired"
	ReasonTooLarge        = "RequestEntityTooLarge"
	ReasonInternal        = "InternalError"
	ReasonMethodNotAllowd = "MethodNotAllowed"
	ReasonUnavailable     = "ServiceUnavailable"
	ReasonTimeout         = "Timeout"
)

// StatusError is a Status carried as a Go error.
type StatusError struct {
	Status Status
}

func (e *StatusError) Error() string {
	msg := e.Status.Message
	if e.Status.Details != nil && len(e.Status.Details.Causes) > 0 && e.Status.Reason == ReasonInvalid {
		var b strings.Builder
		b.WriteString(msg)
		for _, c := range e.Status.Details.Causes {
			b.WriteString("\n* ")
			if c.Field != "" {
				b.WriteString(c.Field + ": ")
			}
			b.WriteString(c.Message)
		}
		return b.String()
	}
	return msg
}

// NewStatusError builds a failure Status with an HTTP code and a reason.
func NewStatusError(code int, reason, format string, args ...any) *StatusError {
	return &StatusError{Status: Status{
		TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   "Failure",
		Message:  fmt.Sprintf(format, args...),
		Reason:   reason,
		Code:     int32(code),
	}}
}

// NewNotFound is the 404 for a named object.
func NewNotFound(k *Kind, name string) *StatusError {
	e := NewStatusError(http.StatusNotFound, ReasonNotFound, "%s %q not found", k.qualifiedResource(), name)
	e.Status.Details = &StatusDetails{Name: name, Group: k.Group, Kind: k.Resource}
	return e
}

// NewAlreadyExists is the 409 for a create of an existing name.
func NewAlreadyExists(k *Kind, name string) *StatusError {
	e := NewStatusError(http.StatusConflict, ReasonAlreadyExists, "%s %q already exists", k.qualifiedResource(), name)
	e.Status.Details = &StatusDetails{Name: name, Group: k.Group, Kind: k.Resource}
	return e
}

// NewConflict is the 409 for a write on a stale resourceVersion.
func NewConflict(k *Kind, name string) *StatusError {
	e := NewStatusError(http.StatusConflict, ReasonConflict,
		"Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again", k.qualifiedResource(), name)
	e.Status.Details = &StatusDetails{Name: name, Group: k.Group, Kind: k.Resource}
	return e
}

// NewInvalid is the 422 listing every field problem.
func NewInvalid(k *Kind, name string, errs ErrorList) *StatusError {
	e := NewStatusError(http.StatusUnprocessableEntity, ReasonInvalid, "%s %q is invalid", k.Kind, name)
	d := &StatusDetails{Name: name, Group: k.Group, Kind: k.Kind}
	for _, fe := range errs {
		d.Causes = append(d.Causes, StatusCause{Type: fe.Reason, Message: fe.Msg, Field: fe.Path})
	}
	e.Status.Details = d
	return e
}

// ReasonOf returns the Status reason of err, or "" when err is not a *StatusError.
func ReasonOf(err error) string {
	if se, ok := err.(*StatusError); ok {
		return se.Status.Reason
	}
	return ""
}

// IsNotFound reports whether err is a 404 Status.
func IsNotFound(err error) bool { return ReasonOf(err) == ReasonNotFound }

// IsAlreadyExists reports whether err is a create of an existing name.
func IsAlreadyExists(err error) bool { return ReasonOf(err) == ReasonAlreadyExists }

// IsConflict reports whether err is a stale-resourceVersion conflict.
func IsConflict(err error) bool { return ReasonOf(err) == ReasonConflict }

// IsGone reports whether err says a watch revision has been compacted.
func IsGone(err error) bool { return ReasonOf(err) == ReasonGone }

// WatchEvent is one line of a watch stream.
type WatchEvent struct {
	Type   string `json:"type"`
	Object Object `json:"object"`
}

// Watch event types.
const (
	Added    = "ADDED"
	Modified = "MODIFIED"
	Deleted  = "DELETED"
	Bookmark = "BOOKMARK"
	Error    = "ERROR"
)

// DeleteOptions is the optional body of a DELETE.
type DeleteOptions struct {
	TypeMeta           `json:",inline"`
	GracePeriodSeconds *int64         `json:"gracePeriodSeconds,omitempty"`
	Preconditions      *Preconditions `json:"preconditions,omitempty"`
	PropagationPolicy  *string        `json:"propagationPolicy,omitempty"`
}

// Preconditions must hold for a delete to go ahead.
type Preconditions struct {
	UID             *string `json:"uid,omitempty"`
	ResourceVersion *string `json:"resourceVersion,omitempty"`
}

// Propagation policies.
const (
	DeletePropagationOrphan     = "Orphan"
	DeletePropagationBackground = "Background"
	DeletePropagationForeground = "Foreground"
)

// qualifiedResource is the resource with its group, as Kubernetes names it in messages: "deployments.apps".
func (k *Kind) qualifiedResource() string {
	if k.Group == "" {
		return k.Resource
	}
	return k.Resource + "." + k.Group
}
