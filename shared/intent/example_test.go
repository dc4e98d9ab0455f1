package intent_test

import (
	"fmt"

	"github.com/mandate-dev/mandate/shared/intent"
)

func ExampleClassifier_Classify() {
	c, err := intent.Parse([]byte(`
threshold: 0.5
intents:
  - name: customer_support.lookup
    risk: low
    families: [read]
    phrases:
      - {text: look up, weight: 0.5}
      - {text: contact details, weight: 0.6}
    keywords:
      - {text: customer, weight: 0.2}
    negative:
      - {text: delet*, weight: 0.7}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, prompt := range []string{
		"Look up the contact details of customer 42",
		"look up customer 42 and delete them",
	} {
		for _, in := range c.Classify(prompt) {
			fmt.Printf("%s %.2f %v\n", in.Name, in.Score, in.Evidence)
		}
	}
	// Output:
	// customer_support.lookup 0.84 [phrase:look up phrase:contact details keyword:customer]
	// unclassified 0.00 []
}

func ExampleParse_errors() {
	_, err := intent.Parse([]byte(`
intents:
  - name: reporting.aggregate
    risk: low
    families: [read, admin]
    keywords: [{text: count, weight: 2}]
`))
	fmt.Println(err)
	// Output:
	// invalid intent catalog: line 3: intents[0] "reporting.aggregate": families[1] "admin" is not read, write or delete
	// invalid intent catalog: line 3: intents[0] "reporting.aggregate": keywords[0] "count": weight 2 is outside (0, 1]
}
