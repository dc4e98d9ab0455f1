package execute

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mandate-dev/mandate/shared/api"
	"github.com/mandate-dev/mandate/shared/broker"
	"github.com/mandate-dev/mandate/shared/sqlparse"
	"github.com/mandate-dev/mandate/shared/target"
)

// StatusSQLError is the Result.Status of a statement PostgreSQL refused (permission denied,
// constraint violation ...): the action reached the target and the target said no.
const StatusSQLError = 422

// OutcomeRolledBack is the outcome of a write that changed a table its statement does not
// name (through a SECURITY DEFINER function or a trigger): it was rolled back.
const OutcomeRolledBack = "rolled-back"

// SQLConnsPerTarget is how many statements one executor runs at once on one database; the
// others wait their turn. Logins are the expensive part of an action (a backend per
// connection), and hundreds started together on a small server all miss their timeout where
// the same work queued finishes.
const SQLConnsPerTarget = 8

// SQL runs one statement on a PostgreSQL target as the ephemeral role the broker minted.
type SQL struct {
	slots sync.Map // endpoint and database -> chan struct{} of capacity SQLConnsPerTarget
}

// NewSQL returns the SQL executor.
func NewSQL() *SQL { return &SQL{} }

// slot waits for a free connection slot on t's database (bounded by ctx, not by the
// statement's timeout, which starts once the slot is held) and returns its release.
func (s *SQL) slot(ctx context.Context, t target.Target) (func(), error) {
	ch, _ := s.slots.LoadOrStore(t.Endpoint+"\x00"+t.Database, make(chan struct{}, SQLConnsPerTarget))
	sem := ch.(chan struct{})
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SQLResult is the JSON body of a SQL action's result.
type SQLResult struct {
	Command   string           `json:"command"`
	Columns   []string         `json:"columns"`
	Rows      []map[string]any `json:"rows"`
	RowCount  int              `json:"row_count"`
	Truncated bool             `json:"truncated,omitempty"`
}

// SQLError is the JSON body of a statement PostgreSQL refused.
type SQLError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Do runs a.Statement on t with the login in c. Rows come back as JSON objects, at most
// t.MaxRows of them and at most t.MaxResponseBytes of JSON.
func (s *SQL) Do(ctx context.Context, t target.Target, c broker.Credential, a api.Action) (Result, error) {
	if c.SQL == nil {
		return Result{}, fmt.Errorf("%w: no database login was minted", ErrBadAction)
	}
	cfg, err := broker.ConnConfig(t, c.SQL.User, c.SQL.Password)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrTarget, err)
	}
	cfg.RuntimeParams["search_path"] = t.Schema
	cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(time.Duration(t.Timeout).Milliseconds(), 10)
	// Backslashes in a plain literal are never escapes, whatever the database's default: a
	// value written in for a token ('...' with its quotes doubled) cannot end its literal.
	cfg.RuntimeParams["standard_conforming_strings"] = "on"
	if c.SQL.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// The extended protocol carries exactly one statement: a second one is a protocol error
	// even if the parser were fooled.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	free, err := s.slot(ctx, t)
	if err != nil {
		return Result{}, fmt.Errorf("%w: waiting for a connection to %s: %v", ErrTarget, t.Name, err)
	}
	defer free()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(t.Timeout))
	defer cancel()
	start := time.Now()
	conn, err := connect(ctx, cfg)
	if err != nil {
		return Result{}, fmt.Errorf("%w: connect to %s as its ephemeral role: %v", ErrTarget, t.Name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	// A write runs in a transaction that commits only if the tables it changed are among the
	// ones the parsed statement names.
	var q interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	} = conn
	var tx pgx.Tx
	if !c.SQL.ReadOnly {
		if tx, err = conn.Begin(ctx); err != nil {
			return sqlFailure(err, t, start)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		q = tx
	}
	rows, err := q.Query(ctx, a.Statement)
	if err != nil {
		return statementFailure(ctx, conn, tx, c.SQL, t, a.Statement, err, start)
	}
	out := SQLResult{Columns: []string{}, Rows: []map[string]any{}}
	// A column whose lineage reads a classified column is masked whole by its class.
	var classes []string
	var masked map[string]int
	for _, f := range rows.FieldDescriptions() {
		out.Columns = append(out.Columns, f.Name)
	}
	classes = sqlparse.ClassifyColumns(c.SQL.Outputs, t.ClassifiedColumns, out.Columns)
	size := 0
	for rows.Next() {
		if out.RowCount >= t.MaxRows {
			out.Truncated = true
			break
		}
		vals, err := rows.Values()
		if err != nil {
			rows.Close()
			return Result{}, fmt.Errorf("%w: read row of %s: %v", ErrTarget, t.Name, err)
		}
		row := make(map[string]any, len(vals))
		for i, v := range vals {
			if classes[i] != "" && v != nil {
				row[out.Columns[i]] = "[" + strings.ToUpper(classes[i]) + "]"
				if masked == nil {
					masked = map[string]int{}
				}
				masked[classes[i]]++
				continue
			}
			row[out.Columns[i]] = textual(v)
		}
		raw, err := json.Marshal(row)
		if err != nil {
			row = map[string]any{"_error": "row is not representable as JSON"}
			raw, _ = json.Marshal(row)
		}
		if int64(size+len(raw)+256) > t.MaxResponseBytes {
			out.Truncated = true
			break
		}
		size += len(raw) + 1
		out.Rows = append(out.Rows, row)
		out.RowCount++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return statementFailure(ctx, conn, tx, c.SQL, t, a.Statement, err, start)
	}
	out.Command = rows.CommandTag().String()
	if tx != nil {
		other, err := changedOutside(ctx, tx, c.SQL.Writes)
		if err != nil {
			return sqlFailure(err, t, start)
		}
		if len(other) > 0 {
			if err := tx.Rollback(ctx); err != nil {
				return Result{}, fmt.Errorf("%w: roll back on %s: %v", ErrTarget, t.Name, err)
			}
			reason := fmt.Sprintf("the statement changed %s, which it does not name; rolled back", strings.Join(other, ", "))
			var body SQLError
			body.Error.Code, body.Error.Message = "mandate_rolled_back", reason
			raw, _ := json.Marshal(body)
			return Result{Status: StatusSQLError, ContentType: "application/json", Body: raw, Duration: time.Since(start),
				Outcome: OutcomeRolledBack, Reason: reason}, nil
		}
		if err := tx.Commit(ctx); err != nil { // a deferred constraint
			return statementFailure(ctx, conn, tx, c.SQL, t, a.Statement, err, start)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return Result{}, fmt.Errorf("%w: encode rows of %s: %v", ErrTarget, t.Name, err)
	}
	return Result{Status: 200, ContentType: "application/json", Body: bytes.TrimSpace(buf.Bytes()), Truncated: out.Truncated, Duration: time.Since(start), Masked: masked}, nil
}

// connect logs in, waiting while the server or the role has no connection to spare
// (SQLSTATE 53300, too_many_connections: other processes' actions, or a connection limit),
// with backoff, until ctx ends.
func connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	wait := 10 * time.Millisecond
	for {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		var pe *pgconn.PgError
		if err == nil || !errors.As(err, &pe) || pe.Code != "53300" {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// textual turns bytes (bytea, and types pgx does not decode such as xml) into text the
// masker's detection reads: the string itself when it is UTF-8, PostgreSQL's hex form
// ("\\x...") otherwise. encoding/json would write them as base64, which no detector reads,
// so convert_to(email, 'UTF8') or email::xml would come back unmasked.
func textual(v any) any {
	b, ok := v.([]byte)
	if !ok {
		return v
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return `\x` + hex.EncodeToString(b)
}

// changedOutside returns the tables ("schema.name") the transaction changed that are not in
// allowed. Two sources, both PostgreSQL's own and blind to which role did it (a SECURITY
// DEFINER function, a trigger): the per-transaction row counters (INSERT, UPDATE, DELETE), and
// the locks the transaction holds stronger than a row writer's, which TRUNCATE, DROP, ALTER and
// CREATE take and the counters never show. A table dropped in the transaction has no name left
// to report.
func changedOutside(ctx context.Context, tx pgx.Tx, allowed []string) ([]string, error) {
	// A partition counts as its partitioned table, which is what the statement names.
	rows, err := tx.Query(ctx, `SELECT DISTINCT coalesce(n.nspname || '.' || c.relname, 'a table it dropped') FROM (
			SELECT relid AS oid FROM pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0
			UNION
			SELECT l.relation FROM pg_locks l LEFT JOIN pg_class r ON r.oid = l.relation
			WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
				AND l.mode IN ('ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
				AND (r.oid IS NULL OR (r.relkind IN ('r', 'p', 'm', 'f') AND r.relpersistence <> 't'))
		) w
		LEFT JOIN pg_class c ON c.oid = coalesce(pg_partition_root(w.oid), w.oid)
		LEFT JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	changed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var out []string
	for _, tb := range changed {
		if !slices.Contains(allowed, tb) {
			out = append(out, tb)
		}
	}
	return out, nil
}

// statementFailure is sqlFailure for a failure of the statement itself. PostgreSQL's messages
// quote the value that failed (`invalid input syntax for type integer: "gold"`, `date field
// value out of range: 2020-13-103`), so a statement over a classified column could read it
// out through an error, where lineage never looks and in a spelling detection does not know.
// Where the statement reads a table with a classified column, the message is kept only if the
// statement's text alone raises it: the same statement prepared again (parse analysis, no row
// read) fails with the same error. Otherwise the SQLSTATE is kept and the message withheld.
func statementFailure(ctx context.Context, conn *pgx.Conn, tx pgx.Tx, login *broker.SQLLogin, t target.Target, stmt string, err error, start time.Time) (Result, error) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || !readsClassified(t, login.Reads) {
		return sqlFailure(err, t, start)
	}
	if tx != nil {
		_ = tx.Rollback(ctx) // a failed transaction takes no other statement
	}
	var again *pgconn.PgError
	if _, perr := conn.Prepare(ctx, "", stmt); errors.As(perr, &again) && again.Code == pe.Code && again.Message == pe.Message {
		return sqlFailure(err, t, start)
	}
	var body SQLError
	body.Error.Code = pe.Code
	body.Error.Message = fmt.Sprintf("the statement failed with SQLSTATE %s (%s); PostgreSQL's message is withheld because it can quote the data of a table with classified columns", pe.Code, sqlstateClass(pe.Code))
	raw, _ := json.Marshal(body)
	return Result{Status: StatusSQLError, ContentType: "application/json", Body: raw, Duration: time.Since(start)}, nil
}

// readsClassified reports whether any of tables ("schema.name") has a classified column of
// t. Reads unknown (nil) counts as yes when t classifies anything.
func readsClassified(t target.Target, tables []string) bool {
	if len(t.ClassifiedColumns) == 0 {
		return false
	}
	if tables == nil {
		return true
	}
	for col := range t.ClassifiedColumns {
		for _, tb := range tables {
			if strings.HasPrefix(col, tb+".") && !strings.Contains(col[len(tb)+1:], ".") {
				return true
			}
		}
	}
	return false
}

// sqlstateClass names the class of a SQLSTATE (its first two characters), as PostgreSQL's
// documentation does (Appendix A), for a failure whose message is withheld.
func sqlstateClass(code string) string {
	if len(code) < 2 {
		return "unknown class"
	}
	switch code[:2] {
	case "0A":
		return "feature not supported"
	case "21":
		return "cardinality violation"
	case "22":
		return "data exception"
	case "23":
		return "integrity constraint violation"
	case "25":
		return "invalid transaction state"
	case "2F", "38", "39":
		return "function exception"
	case "40":
		return "transaction rollback"
	case "42":
		return "syntax error or access rule violation"
	case "53":
		return "insufficient resources"
	case "54":
		return "program limit exceeded"
	case "57":
		return "operator intervention"
	case "P0":
		return "PL/pgSQL error"
	case "XX":
		return "internal error"
	}
	return "class " + code[:2]
}

// sqlFailure turns PostgreSQL's refusal into a result the agent sees (masked like any other)
// and every other failure into ErrTarget.
func sqlFailure(err error, t target.Target, start time.Time) (Result, error) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return Result{}, fmt.Errorf("%w: %s: %v", ErrTarget, t.Name, err)
	}
	var body SQLError
	body.Error.Code, body.Error.Message = pe.Code, pe.Message
	raw, _ := json.Marshal(body)
	return Result{Status: StatusSQLError, ContentType: "application/json", Body: raw, Duration: time.Since(start)}, nil
}
