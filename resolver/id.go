package resolver

import graphql "github.com/graph-gophers/graphql-go"

// ID is the value of every ID field the resolvers answer: graphql.ID's
// meaning, written by encoding/json as the string it is. graphql.ID writes
// itself with strconv.Quote, which encoding/json then scans once more
// (about 1 µs an id: 4 % of the gateway's own work per attach(1);
// docs/performance.md), and strconv's quoting is not JSON for an id with a control
// character or invalid UTF-8, which encoding/json escapes. Arguments stay
// graphql.ID.
type ID string

// ImplementsGraphQLType makes ID a value of the schema's ID scalar.
func (ID) ImplementsGraphQLType(name string) bool { return name == "ID" }

// UnmarshalGraphQL reads an ID input as graphql.ID does; graphql-go asks
// for it of every type that stands for a scalar, though the resolvers take
// their ID arguments as graphql.ID.
func (id *ID) UnmarshalGraphQL(input any) error {
	var g graphql.ID
	err := g.UnmarshalGraphQL(input)
	*id = ID(g)
	return err
}
