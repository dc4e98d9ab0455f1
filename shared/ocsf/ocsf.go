package ocsf

import (
	"fmt"
	"net"
	"strings"

	"github.com/mandate-dev/mandate/shared/audit"
)

// Class and category of every event Map returns.
const (
	ClassAPIActivity    = 6003
	CategoryApplication = 6
	SchemaVersion       = "1.1.0"
)

// Activity ids of API Activity.
const (
	ActivityUnknown = 0
	ActivityCreate  = 1
	ActivityRead    = 2
	ActivityUpdate  = 3
	ActivityDelete  = 4
	ActivityOther   = 99
)

// Status and severity ids.
const (
	StatusUnknown = 0
	StatusSuccess = 1
	StatusFailure = 2

	SeverityInformational = 1
	SeverityLow           = 2
	SeverityMedium        = 3
)

// Event is an OCSF API Activity event.
type Event struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	StatusDetail string `json:"status_detail,omitempty"`
	Message      string `json:"message"`
	Time         int64  `json:"time"` // milliseconds since the epoch
	Duration     int64  `json:"duration,omitempty"`

	Metadata    Metadata       `json:"metadata"`
	Actor       Actor          `json:"actor"`
	API         API            `json:"api"`
	Cloud       Cloud          `json:"cloud"`
	SrcEndpoint Endpoint       `json:"src_endpoint"`
	Resources   []Resource     `json:"resources,omitempty"`
	Unmapped    map[string]any `json:"unmapped,omitempty"`
}

// Metadata names the product and the record.
type Metadata struct {
	Version        string  `json:"version"`
	Product        Product `json:"product"`
	UID            string  `json:"uid"`             // the record's hash
	CorrelationUID string  `json:"correlation_uid"` // the session (chain) id
	Sequence       uint64  `json:"sequence"`
	LogName        string  `json:"log_name"`
}

// Product is Mandate.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

// Actor is the agent and the human behind it. (OCSF 1.1.0 has no actor.app_name, which
// appeared in 1.2.0: the agent is the one that invoked the activity for the user.)
type Actor struct {
	User      User    `json:"user"`
	Session   Session `json:"session"`
	InvokedBy string  `json:"invoked_by,omitempty"`
}

// User is the operator, with the agent as its credential holder. TypeID is the normalized
// account type (OCSF user.type_id); Type is its caption and never set without it.
type User struct {
	Name   string `json:"name"`
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

// User type ids (OCSF user.type_id).
const (
	UserUnknown = 0
	UserRegular = 1
	UserAdmin   = 2
)

// ActivityAuthorize is the activity name of a decision: API Activity's activity_id Other (99)
// with its own name, so an allow decision never reads as the operation having run. The
// operation's own activity (Create, Read, Update, Delete) is the result's.
const ActivityAuthorize = "Authorize"

// Session is the Mandate session.
type Session struct {
	UID      string `json:"uid"`
	Issuer   string `json:"issuer,omitempty"`
	IsRemote bool   `json:"is_remote"`
}

// API is the operation performed.
type API struct {
	Operation string      `json:"operation"`
	Service   Service     `json:"service"`
	Request   *APIRequest `json:"request,omitempty"`
}

// Service is the target.
type Service struct {
	Name string `json:"name"`
}

// APIRequest carries the request id.
type APIRequest struct {
	UID string `json:"uid"`
}

// Cloud is where Mandate runs.
type Cloud struct {
	Provider string `json:"provider"`
}

// Endpoint is the agent as a source.
type Endpoint struct {
	UID     string `json:"uid"`
	SvcName string `json:"svc_name,omitempty"`
	IP      string `json:"ip,omitempty"`
}

// Resource is what was acted on.
type Resource struct {
	Name string `json:"name"`
	Type string `json:"type"`
	UID  string `json:"uid,omitempty"`
}

var activityNames = map[int]string{
	ActivityUnknown: "Unknown", ActivityCreate: "Create", ActivityRead: "Read",
	ActivityUpdate: "Update", ActivityDelete: "Delete", ActivityOther: "Other",
}

// Activity classifies a policy action name (http:GET, sql:SELECT, s3:GetObject, ...).
func Activity(action string) int {
	_, op, ok := strings.Cut(action, ":")
	if !ok || op == "" {
		return ActivityUnknown
	}
	upper := strings.ToUpper(op)
	switch upper {
	case "GET", "HEAD", "SELECT", "OPTIONS":
		return ActivityRead
	case "POST", "INSERT", "CREATE":
		return ActivityCreate
	case "PUT", "PATCH", "UPDATE", "MERGE", "ALTER":
		return ActivityUpdate
	case "DELETE", "DROP", "TRUNCATE":
		return ActivityDelete
	}
	for prefix, a := range map[string]int{"GET": ActivityRead, "LIST": ActivityRead, "DESCRIBE": ActivityRead, "HEAD": ActivityRead,
		"CREATE": ActivityCreate, "PUT": ActivityCreate, "RUN": ActivityCreate, "START": ActivityCreate, "INVOKE": ActivityCreate,
		"UPDATE": ActivityUpdate, "MODIFY": ActivityUpdate, "SET": ActivityUpdate, "ATTACH": ActivityUpdate, "TAG": ActivityUpdate,
		"DELETE": ActivityDelete, "REMOVE": ActivityDelete, "TERMINATE": ActivityDelete, "DETACH": ActivityDelete} {
		if strings.HasPrefix(upper, prefix) {
			return a
		}
	}
	return ActivityOther
}

// Map returns the API Activity event of one audit record. A result record names its
// decision's operation and resource only when mapped with the decision (Mapper).
func Map(r audit.Record) Event { return (&Mapper{}).Map(r) }

// Mapper maps the records of one batch (a stream batch, a shipped object) in order and
// remembers each decision's action, so the result that follows it carries the same operation
// and resource. It keeps at most MaxRemembered actions.
type Mapper struct {
	actions map[string]*audit.Action
}

// MaxRemembered bounds how many decisions' actions a Mapper keeps.
const MaxRemembered = 10000

func actionKey(session string, seq uint64) string { return fmt.Sprintf("%s#%d", session, seq) }

// Map returns the API Activity event of r.
func (m *Mapper) Map(r audit.Record) Event {
	e := Event{
		CategoryUID: CategoryApplication, CategoryName: "Application Activity",
		ClassUID: ClassAPIActivity, ClassName: "API Activity",
		SeverityID: SeverityInformational, StatusID: StatusSuccess,
		Time: r.Time.UnixMilli(),
		Metadata: Metadata{
			Version: SchemaVersion, Product: Product{Name: "Mandate", VendorName: "Mandate"},
			UID: r.Hash, CorrelationUID: r.Session, Sequence: r.Seq, LogName: "audit",
		},
		Actor: Actor{
			User:      User{Name: r.Identity.Operator, UID: r.Identity.Operator, TypeID: UserRegular, Type: "User"},
			Session:   Session{UID: r.Session, Issuer: r.Identity.AgentKind, IsRemote: true},
			InvokedBy: r.Identity.Agent,
		},
		API:         API{Operation: r.Type, Service: Service{Name: "mandate"}},
		Cloud:       Cloud{Provider: "AWS"},
		SrcEndpoint: Endpoint{UID: r.Identity.Agent, SvcName: r.Identity.AgentKind},
		Unmapped:    map[string]any{"record_type": r.Type, "operator_verified": r.Identity.OperatorVerified},
	}
	if e.Actor.User.Name == "" {
		e.Actor.User = User{Name: "unknown", UID: "unknown", TypeID: UserUnknown, Type: "Unknown"}
	}
	if e.SrcEndpoint.UID == "" {
		e.SrcEndpoint.UID = "unknown"
	}
	if cl := r.Client; cl != nil {
		if net.ParseIP(cl.SourceIP) != nil {
			e.SrcEndpoint.IP = cl.SourceIP
		}
		if cl.UserAgent != "" {
			e.Unmapped["user_agent"] = cl.UserAgent
		}
	}
	if r.RequestID != "" {
		e.API.Request = &APIRequest{UID: r.RequestID}
	}
	if len(r.Intents) > 0 {
		e.Unmapped["intents"] = r.Intents
	}
	activity, activityName := ActivityOther, ""
	action := r.Action
	if action == nil && r.Result != nil {
		action = m.actions[actionKey(r.Session, r.Result.DecisionSeq)]
	}
	switch {
	case action != nil:
		e.API.Operation = action.Name
		e.API.Service.Name = action.Target
		e.Resources = []Resource{{Name: action.Resource, Type: action.Kind, UID: action.Digest}}
		if r.Type == audit.TypeDecision {
			activityName = ActivityAuthorize
			m.remember(r.Session, r.Seq, action)
		} else {
			activity = Activity(action.Name)
		}
	case r.Result != nil:
		activity = ActivityUnknown // the decision was not in this batch
		e.API.Operation = fmt.Sprintf("result of decision #%d", r.Result.DecisionSeq)
	case r.Prompt != nil:
		e.Unmapped["prompt_masked"] = r.Prompt.Masked
		e.Unmapped["prompt_hmac"] = r.Prompt.HMAC
	}
	if v := r.Verdict; v != nil {
		e.Unmapped["verdict"] = v.Decision
		e.Unmapped["policies"] = v.Reasons
		e.StatusDetail = v.Decision + ": " + strings.Join(v.Reasons, ", ")
		switch v.Decision {
		case "deny":
			e.StatusID, e.SeverityID = StatusFailure, SeverityMedium
		case "approval":
			e.StatusID, e.SeverityID = StatusUnknown, SeverityLow
		}
	}
	if res := r.Result; res != nil {
		e.Duration = res.DurationMS
		e.StatusDetail = fmt.Sprintf("%s (status %d)", res.Outcome, res.Status)
		if res.Outcome != "ok" {
			e.StatusID, e.SeverityID = StatusFailure, SeverityLow
		}
		if len(res.Masking) > 0 {
			e.Unmapped["masked"] = res.Masking
		}
		e.Unmapped["response_sha256"] = res.ResponseSHA256
		e.Unmapped["decision_seq"] = res.DecisionSeq
	}
	if a := r.Approval; a != nil {
		e.Unmapped["approval_id"], e.Unmapped["approval_status"] = a.ID, a.Status
		if a.By != "" {
			e.Unmapped["approved_by"] = a.By
		}
		if a.Status == "denied" {
			e.StatusID = StatusFailure
		}
	}
	if a := r.Admin; a != nil {
		activity = ActivityUpdate
		e.Resources = []Resource{{Name: a.Name, Type: a.Kind, UID: a.SHA256}}
		e.Actor.User = User{Name: a.By, UID: a.By, TypeID: UserAdmin, Type: "Admin"}
	}
	e.ActivityID, e.ActivityName = activity, activityNames[activity]
	e.TypeUID = ClassAPIActivity*100 + activity
	e.TypeName = "API Activity: " + e.ActivityName
	if activityName != "" {
		e.ActivityName = activityName
	}
	e.Severity = map[int]string{SeverityInformational: "Informational", SeverityLow: "Low", SeverityMedium: "Medium"}[e.SeverityID]
	e.Status = map[int]string{StatusUnknown: "Unknown", StatusSuccess: "Success", StatusFailure: "Failure"}[e.StatusID]
	e.Message = fmt.Sprintf("%s %s#%d by %s", r.Type, r.Session, r.Seq, e.Actor.User.Name)
	if action != nil {
		e.Message = fmt.Sprintf("%s %s %s (%s#%d) by %s", r.Type, action.Name, action.Resource, r.Session, r.Seq, e.Actor.User.Name)
	}
	return e
}

func (m *Mapper) remember(session string, seq uint64, a *audit.Action) {
	if m.actions == nil || len(m.actions) >= MaxRemembered {
		m.actions = map[string]*audit.Action{}
	}
	m.actions[actionKey(session, seq)] = a
}
