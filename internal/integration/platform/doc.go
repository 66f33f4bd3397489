// Package platform is execute_connector_action's side of the outside world:
// a declarative catalog of platform actions (Shopify, Stripe, GitHub, Jira,
// Slack), one connector type per platform built from that catalog (Slack's
// is the slack package's own), and the client that turns one catalog
// action plus its parameters into authenticated HTTP requests.
//
// # The catalog
//
// Each platform is one JSON file embedded from catalog/ (see Platform for the
// format). A platform declares its settings (base URL and the like), its
// credentials and how they authenticate a request, constant headers, how it
// reports errors, a cheap authenticated request used to test a connector, and
// its actions. An action declares its method, a path template whose {name}
// placeholders are path parameters, its parameters (type, required, where
// they go: path, query or body, and for the body the dotted field they fill),
// constant query and body fields, how the body is encoded (JSON or form), and
// which part of the answer becomes the step's output (a root key to unwrap and
// the fields to keep). A GraphQL action (every Shopify action: the Admin
// API) is one document whose variables are its parameters (a parameter
// may fill a field of an input-object variable, and a Shopify id
// parameter takes the number from the admin's URL or a gid); its answer's
// errors and userErrors fail it, THROTTLED is retried once the query's
// cost is restored, and the step's idempotency key fills the document's
// @idempotent(key:) where Shopify requires one. A few actions need more
// than one request (a Shopify full refund reads the suggested refund,
// then creates it; a Jira transition by name reads the transitions);
// they name a handler implemented in handlers.go, and still declare their
// parameters in the catalog like every other action.
//
// The catalog is checked when the package loads (a broken catalog panics at
// start-up, and the tests check the same rules), and Catalog lists it for the
// API.
//
// # Running an action
//
// Execute sends the requests of one action through the guarded HTTP client
// with the platform's authentication, the step's idempotency key where the
// platform honours one (Stripe's Idempotency-Key; sent to the others as a
// harmless extra header on writes), retries rate limits and unavailable
// answers within the step's deadline, and turns the platform's own error
// format into one clear sentence. Credentials never appear in errors or
// outputs.
package platform
