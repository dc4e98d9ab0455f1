// Package broker mints the short-lived credential one allowed action runs with, scoped to
// exactly that action, and nothing else. Agents never see what it mints.
//
// Place in the flow: after the decision record is durably appended, before execute. The
// credential is used once by the executor, then Release drops what was minted.
//
// By kind of target:
//   - http: an action token (HMAC over target, method, path, session, expiry) from the
//     target's secret, read from a local file ("file:") or Secrets Manager (an ARN), and
//     injected as the target's header.
//   - sql: a real PostgreSQL role per action, created by the target's administrator with
//     LOGIN, a random password (stored as a SCRAM verifier), VALID UNTIL now+TTL, CONNECTION
//     LIMIT 2 and only the privileges the parsed statement needs on exactly its tables
//     (SQLGrants), held through membership in standing NOLOGIN roles, one per table and
//     privilege (StandingPrefix), created once under an advisory lock: no action changes a
//     table's ACL. Dropped after the action (its sessions ended, what it owns dropped), and
//     expired leftovers swept in the background on the first action on a database and every
//     10 minutes after; a failed sweep never blocks an action. The administrator needs only
//     CREATEROLE (not superuser) and the privileges it hands on WITH GRANT OPTION (CONNECT on
//     the database, USAGE on the schema, the table privileges, USAGE on the tables'
//     sequences). PostgreSQL 15 lets CREATEROLE administer any non-superuser role; 16 and
//     later only roles it holds ADMIN OPTION on, which the creator of a role gets: the
//     standing and ephemeral roles must be created by the same administrator, which grants
//     itself membership in an ephemeral role before dropping it (DROP OWNED BY and ending its
//     sessions need the role's privileges on both; the SQL tests run on both), all in one
//     transaction under an advisory lock on the role's name, so a release and a sweep never
//     drop the same role at once. A write runs in a transaction the
//     executor rolls back if it changed a table the statement does not name. On RDS with IAM database authentication
//     (a sql target with role_arn), STS AssumeRole with a session policy allowing only
//     rds-db:connect as the target's database user on its database (PlanRDS), and an RDS
//     auth token signed with that credential (feature/rds/auth) as the login's password.
//   - aws: STS AssumeRole into the target role with an inline session policy allowing only
//     the operation's IAM actions on the action's resource until an aws:CurrentTime bound
//     (PlanAWS), SourceIdentity = the operator, session tags, DurationSeconds 900. A
//     credential is reused only for the identical scope (target, session, agent, operation,
//     resource, intent) within its window, from a cache of at most MaxCachedCredentials;
//     Forget drops them (on kill).
//
// Contract: Mint MUST scope the credential to the one target and action, MUST bound its
// lifetime, MUST refuse (before calling anything) what it cannot scope, and MUST NOT expose a
// secret or credential value in errors or in Credential.Describe. Plan MUST describe what
// Mint would mint, computed by the same code, without any secret.
package broker
