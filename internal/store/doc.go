// Package store is the query layer the operator CLI uses: list, get and
// aggregate stored calls, with the same interface over PostgreSQL and over
// the spool. Every answer says which store it came from.
package store
