package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
)

// Annotations that turn an allow into a variant of it. They are read on permit policies
// only; Compile rejects them on a forbid, where they could never take effect.
const (
	// AnnotationApproval makes a permit require a human's approval: when a permit carrying it
	// decides an allow, the verdict is api.VerdictApproval and its value (a sentence for
	// the approver, 1 to MaxAnnotationLength bytes) is Decision.Approval.
	AnnotationApproval = "approval"
	// AnnotationSelfApproval, with the value "allowed", lets the operator who opened the
	// session approve its own request; without it the approver MUST be another human.
	AnnotationSelfApproval = "self_approval"
	// AnnotationMask names the masking profile applied to the result of an allowed action
	// (1 to 64 of [a-z0-9_-]); Decision.Mask.
	AnnotationMask = "mask"
	// AnnotationMaxTTL bounds the lifetime of the credential minted for an allowed action,
	// as a Go duration between 1s and 12h ("30s", "5m"); Decision.MaxTTL.
	AnnotationMaxTTL = "max_ttl"
)

// Limits on annotation values.
const (
	// MaxAnnotationLength is the longest @approval text Compile accepts.
	MaxAnnotationLength = 256
	// SelfApprovalAllowed is the one value @self_approval accepts.
	SelfApprovalAllowed = "allowed"
	minMaxTTL           = time.Second
	maxMaxTTL           = 12 * time.Hour
)

// variant is what a permit's annotations ask of an allow it decides.
type variant struct {
	approval     string
	selfApproval bool
	mask         string
	maxTTL       time.Duration
}

// readVariant reads and checks the variant annotations of p; problems are returned as
// messages for a policy author.
func readVariant(ann cedar.Annotations, forbid bool) (variant, []string) {
	var v variant
	var problems []string
	for _, key := range []string{AnnotationApproval, AnnotationSelfApproval, AnnotationMask, AnnotationMaxTTL} {
		val, ok := ann[types.AnnotationKey(key)]
		if !ok {
			continue
		}
		if forbid {
			problems = append(problems, fmt.Sprintf("@%s has no effect on a forbid policy; put it on the permit it qualifies", key))
			continue
		}
		s := string(val)
		switch key {
		case AnnotationApproval:
			if strings.TrimSpace(s) == "" || len(s) > MaxAnnotationLength {
				problems = append(problems, fmt.Sprintf("@approval needs a sentence for the approver of 1 to %d bytes", MaxAnnotationLength))
			}
			v.approval = s
		case AnnotationSelfApproval:
			if s != SelfApprovalAllowed {
				problems = append(problems, fmt.Sprintf("@self_approval takes the one value %q", SelfApprovalAllowed))
			}
			v.selfApproval = s == SelfApprovalAllowed
		case AnnotationMask:
			if !validProfile(s) {
				problems = append(problems, fmt.Sprintf("@mask %q is not a profile name (1 to 64 of a-z 0-9 _ -)", s))
			}
			v.mask = s
		case AnnotationMaxTTL:
			d, err := time.ParseDuration(s)
			if err != nil || d < minMaxTTL || d > maxMaxTTL {
				problems = append(problems, fmt.Sprintf("@max_ttl %q is not a duration between %s and %s", s, minMaxTTL, maxMaxTTL))
			}
			v.maxTTL = d
		}
	}
	if v.selfApproval && v.approval == "" {
		problems = append(problems, "@self_approval needs @approval on the same policy")
	}
	return v, problems
}

func validProfile(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// qualify turns an allow into its variant from the annotations of the permits that decided
// it (d.Reasons):
//
//   - approval when any deciding permit carries @approval: the most cautious permit wins.
//     Approval is its text (the first in document order), and SelfApproval is true only
//     when every deciding permit with @approval also allows self approval;
//   - Mask is the first @mask in document order;
//   - MaxTTL is the shortest @max_ttl.
//
// A deny is returned as it is.
func (s *Set) qualify(d *Decision) {
	if d.Verdict != verdictAllow {
		return
	}
	self := true
	for _, id := range d.Reasons {
		i, ok := s.byID[id]
		if !ok {
			continue
		}
		v := s.variants[i]
		if v.approval != "" {
			if d.Approval == "" {
				d.Approval = v.approval
			}
			self = self && v.selfApproval
		}
		if d.Mask == "" {
			d.Mask = v.mask
		}
		if v.maxTTL > 0 && (d.MaxTTL == 0 || v.maxTTL < d.MaxTTL) {
			d.MaxTTL = v.maxTTL
		}
	}
	if d.Approval != "" {
		d.Verdict = verdictApproval
		d.SelfApproval = self
	}
}

// SelfApproval reports whether every policy of ids that requires approval in this set also
// allows the session's own operator to approve. An approver is checked against the policies
// active when they decide, so a policy change that withdraws self approval takes effect at
// once; an id no longer in the set allows nothing.
func (s *Set) SelfApproval(ids []string) bool {
	if s == nil || len(ids) == 0 {
		return false
	}
	found := false
	for _, id := range ids {
		i, ok := s.byID[id]
		if !ok {
			return false
		}
		v := s.variants[i]
		if v.approval != "" {
			found = true
			if !v.selfApproval {
				return false
			}
		}
	}
	return found
}
