package mask_test

import (
	"fmt"

	"github.com/mandate-dev/mandate/shared/mask"
)

func ExampleEngine_Apply() {
	e := mask.New()
	out, summary := e.Apply([]byte(`{"name":"Bob","email":"bob@example.com","card":4111111111111111,"phone":"(415) 555-0132","ordered":"2024-01-15"}`))
	fmt.Println(string(out))
	fmt.Println(summary)
	// Output:
	// {"name":"Bob","email":"[EMAIL]","card":"[CARD]","phone":"[PHONE]","ordered":"2024-01-15"}
	// map[card:1 email:1 phone:1]
}

func ExampleEngine_Text() {
	out, summary := mask.New().Text([]byte("Customer 42 (SSN 123-45-6789) asked to update +44 20 7946 0958."))
	fmt.Println(string(out))
	fmt.Println(summary.Total())
	// Output:
	// Customer 42 (SSN [SSN]) asked to update [PHONE].
	// 2
}

func ExampleWithFields() {
	e := mask.New(mask.WithFields("password", "dob"))
	out, summary, err := e.JSON([]byte(`{"user":"bob","password":"hunter2","dob":{"y":1990,"m":4}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out), summary[mask.Field])
	// Output:
	// {"user":"bob","password":"[REDACTED]","dob":"[REDACTED]"} 2
}
