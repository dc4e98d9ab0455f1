package ocsf_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mandate-dev/mandate/shared/ocsf"
)

// schemaDir holds the pinned copy of the OCSF schema events are validated against.
var schemaDir = filepath.Join("testdata", "schema-1.1.0")

// attrSpec is an attribute as a class or object defines it, merged along extends and includes.
type attrSpec struct {
	Requirement string
	Enum        map[string]bool
}

type schemaDef struct {
	Name       string                     `json:"name"`
	Extends    string                     `json:"extends"`
	Attributes map[string]json.RawMessage `json:"attributes"`
}

type dictAttr struct {
	Type    string                     `json:"type"`
	IsArray bool                       `json:"is_array"`
	Enum    map[string]json.RawMessage `json:"enum"`
	Sibling string                     `json:"sibling"`
}

// ocsfSchema compiles classes and objects from the pinned files.
type ocsfSchema struct {
	version string
	dict    map[string]dictAttr
	files   map[string]string // class or object name -> file
	profile map[string]bool   // files that are profiles: their requirements apply only when applied
}

func loadSchema(t *testing.T) *ocsfSchema {
	t.Helper()
	s := &ocsfSchema{files: map[string]string{}, profile: map[string]bool{}}
	var d struct {
		Attributes map[string]dictAttr `json:"attributes"`
	}
	readJSON(t, filepath.Join(schemaDir, "dictionary.json"), &d)
	s.dict = d.Attributes
	var v struct {
		Version string `json:"version"`
	}
	readJSON(t, filepath.Join(schemaDir, "version.json"), &v)
	s.version = v.Version
	err := filepath.WalkDir(schemaDir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		var def schemaDef
		readJSON(t, p, &def)
		rel, _ := filepath.Rel(schemaDir, p)
		if strings.HasPrefix(rel, "objects"+string(filepath.Separator)) || strings.HasPrefix(rel, "events"+string(filepath.Separator)) {
			s.files[def.Name] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}

// attributes compiles the attributes of a class or object: its parent's, then its includes',
// then its own, each overriding the one before.
func (s *ocsfSchema) attributes(t *testing.T, name string) map[string]attrSpec {
	t.Helper()
	file, ok := s.files[name]
	if !ok {
		t.Fatalf("the pinned schema has no %q", name)
	}
	return s.compile(t, file, false)
}

func (s *ocsfSchema) compile(t *testing.T, file string, isProfile bool) map[string]attrSpec {
	t.Helper()
	var def schemaDef
	readJSON(t, filepath.Join(schemaDir, file), &def)
	out := map[string]attrSpec{}
	if def.Extends != "" && !strings.HasPrefix(file, "includes") && !strings.HasPrefix(file, "profiles") {
		for k, v := range s.attributes(t, def.Extends) {
			out[k] = v
		}
	}
	if raw, ok := def.Attributes["$include"]; ok {
		var incs []string
		if json.Unmarshal(raw, &incs) != nil {
			var one string
			_ = json.Unmarshal(raw, &one)
			incs = []string{one}
		}
		for _, inc := range incs {
			for k, v := range s.compile(t, inc, strings.HasPrefix(inc, "profiles")) {
				out[k] = merge(out[k], v)
			}
		}
	}
	for k, raw := range def.Attributes {
		if k == "$include" {
			continue
		}
		var a struct {
			Requirement string                     `json:"requirement"`
			Enum        map[string]json.RawMessage `json:"enum"`
		}
		_ = json.Unmarshal(raw, &a)
		if isProfile && a.Requirement == "required" {
			a.Requirement = "optional" // required only where the profile is applied
		}
		spec := attrSpec{Requirement: a.Requirement, Enum: map[string]bool{}}
		for e := range a.Enum {
			spec.Enum[e] = true
		}
		out[k] = merge(out[k], spec)
	}
	return out
}

func merge(base, over attrSpec) attrSpec {
	out := attrSpec{Requirement: base.Requirement, Enum: map[string]bool{}}
	if over.Requirement != "" {
		out.Requirement = over.Requirement
	}
	for e := range base.Enum {
		out.Enum[e] = true
	}
	for e := range over.Enum {
		out.Enum[e] = true
	}
	return out
}

// validate checks v (an object of type name) strictly: every attribute defined, every required
// one present, enum ids among the defined values, a sibling caption only beside its id.
func (s *ocsfSchema) validate(t *testing.T, path, name string, v map[string]any) []string {
	t.Helper()
	attrs := s.attributes(t, name)
	var errs []string
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		spec, ok := attrs[k]
		if !ok {
			errs = append(errs, fmt.Sprintf("%s%s: not an attribute of %s in OCSF %s", path, k, name, s.version))
			continue
		}
		d := s.dict[k]
		enum := spec.Enum
		for e := range d.Enum {
			enum[e] = true
		}
		if strings.HasSuffix(k, "_id") && len(enum) > 0 {
			if !enum[fmt.Sprint(v[k])] {
				errs = append(errs, fmt.Sprintf("%s%s: %v is not one of its values", path, k, v[k]))
			}
		}
		if d.Sibling == "" {
			for id, da := range s.dict {
				if da.Sibling == k && attrs[id].Requirement != "" {
					if _, has := v[id]; !has {
						errs = append(errs, fmt.Sprintf("%s%s: set without %s", path, k, id))
					}
				}
			}
		}
		if strings.HasSuffix(d.Type, "_t") || d.Type == "object" || d.Type == "" {
			continue
		}
		var elems []any
		if d.IsArray {
			arr, ok := v[k].([]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s%s: not an array", path, k))
				continue
			}
			elems = arr
		} else {
			elems = []any{v[k]}
		}
		for i, e := range elems {
			obj, ok := e.(map[string]any)
			if !ok {
				errs = append(errs, fmt.Sprintf("%s%s: not an object", path, k))
				continue
			}
			p := path + k + "."
			if d.IsArray {
				p = fmt.Sprintf("%s%s[%d].", path, k, i)
			}
			errs = append(errs, s.validate(t, p, d.Type, obj)...)
		}
	}
	for k, spec := range attrs {
		if _, ok := v[k]; !ok && spec.Requirement == "required" {
			errs = append(errs, fmt.Sprintf("%s%s: required by %s", path, k, name))
		}
	}
	slices.Sort(errs)
	return errs
}

// TestEventsValidateAgainstTheirDeclaredVersion: every event Map returns declares the version
// of the pinned schema and validates strictly against its API Activity class.
func TestEventsValidateAgainstTheirDeclaredVersion(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	for name, r := range records() {
		raw, err := json.Marshal(ocsf.Map(r))
		if err != nil {
			t.Fatal(err)
		}
		var ev map[string]any
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if got, _ := lookup(ev, "metadata.version"); got != s.version {
			t.Errorf("%s: declares %v, the schema is %s", name, got, s.version)
		}
		if errs := s.validate(t, "", "api_activity", ev); len(errs) > 0 {
			t.Errorf("%s: %d problems against OCSF %s:\n  %s", name, len(errs), s.version, strings.Join(errs, "\n  "))
		}
	}
}

// TestTheValidatorRefuses: what the validator must catch, so a pass means something.
func TestTheValidatorRefuses(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	raw, _ := json.Marshal(ocsf.Map(records()["allow"]))
	for name, edit := range map[string]func(map[string]any){
		"attribute of a later version": func(e map[string]any) { e["actor"].(map[string]any)["app_name"] = "agent" },
		"type without type_id": func(e map[string]any) {
			u := e["actor"].(map[string]any)["user"].(map[string]any)
			delete(u, "type_id")
			u["type"] = "User"
		},
		"required attribute missing": func(e map[string]any) { delete(e["api"].(map[string]any), "operation") },
		"activity id out of range":   func(e map[string]any) { e["activity_id"] = 7 },
	} {
		var ev map[string]any
		_ = json.Unmarshal(raw, &ev)
		edit(ev)
		if errs := s.validate(t, "", "api_activity", ev); len(errs) == 0 {
			t.Errorf("%s: validated", name)
		}
	}
}
