// Package pgtest starts private PostgreSQL clusters for tests: initdb into a
// temporary directory, pg_ctl on a free loopback port, fsync off. A test
// binary shares one cluster (call Main from TestMain so it is stopped at
// exit) and every test gets its own fresh database from NewDB. Fault tests
// that stop, restart or freeze the server take a dedicated cluster instead.
//
// When the PostgreSQL server binaries are not installed the tests are
// skipped with the reason, except under CI=true, where they fail: CI must
// never pass by skipping. Binaries are looked up on PATH, then in
// /usr/lib/postgresql/*/bin (the newest version first). As root the server
// runs as the "postgres" user, since PostgreSQL refuses to run as root.
package pgtest
