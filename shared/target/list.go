package target

import "sort"

// Targets returns every target of the registry, ordered by name.
func (r *Registry) Targets() []Target {
	out := make([]Target, 0, len(r.byName))
	for _, t := range r.byName {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
