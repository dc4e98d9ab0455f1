package policy

import (
	"fmt"
	"testing"
)

func TestZZScan(t *testing.T) {
	for _, n := range []int{1000, 10000} {
		s, _ := Compile("mixed.cedar", []byte(mixedPolicySet(mixedFull, n, 1)))
		reqs := mixedRequests(mixedFull, 500, 2)
		pre, post, atoms := 0, 0, 0
		guardedFail := map[int]int{}
		for _, r := range reqs {
			b, _ := s.bucket(r.Action)
			f := s.factsOf(&r)
			c := b.requestCandidates(&f)
			for _, p := range c.parts {
				pre += len(p)
				for i := range p {
					atoms += len(p[i].guard)
					if p[i].guard != nil && !p[i].guard.holds(&f) {
						// which atom index failed first
						for j, a := range p[i].guard {
							if !(&guard{a}).holds(&f) {
								guardedFail[int(a.fact)*100+j]++
								break
							}
						}
					}
				}
			}
			post += len(c.collect(nil))
		}
		fmt.Printf("n=%d pre %.1f post %.1f atoms/entry %.2f fails %v\n", n, float64(pre)/500, float64(post)/500, float64(atoms)/float64(pre), guardedFail)
	}
}
