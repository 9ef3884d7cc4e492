// Package store is the query layer the operator CLI uses: list, get and
// aggregate stored calls, with the same interface over PostgreSQL and over
// the spool. Every answer says which store it came from. Both stores give
// the same answers: the spool store answers with each call as PostgreSQL
// stores it (times to the microsecond, text without NUL bytes or invalid
// UTF-8; see stored.go), while the spool files keep the calls exactly.
package store
