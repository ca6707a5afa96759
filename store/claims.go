package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
)

// ClaimReport claims the report of (c.Day, c.PolicyDomain) for c.Node
// until c.Until (aggregate.Store). It returns true when c.Node holds the
// claim afterwards: there was none, c.Node held it (the lease is set to
// c.Until), or another node's lease had expired at c.Now (its lease until
// at or before c.Now). It returns false when another node's lease runs
// past c.Now or the report is finished. The claim is one statement, an
// insert that on conflict takes the row over only under those
// conditions, so of several nodes claiming at once exactly one wins.
//
// c.Day must be a UTC midnight, and c.PolicyDomain and c.Node non-empty.
func (s *Store) ClaimReport(ctx context.Context, c aggregate.Claim) (bool, error) {
	day, err := checkClaim(c)
	if err != nil {
		return false, fmt.Errorf("store: claim report: %w", err)
	}
	q := rebind(s.dialect, `INSERT INTO tlsrpt_mta_claims (day, policy_domain, node, lease_until, finished)
VALUES (?, ?, ?, ?, FALSE)
ON CONFLICT (day, policy_domain) DO UPDATE SET node = excluded.node, lease_until = excluded.lease_until
WHERE NOT tlsrpt_mta_claims.finished
	AND (tlsrpt_mta_claims.node = excluded.node OR tlsrpt_mta_claims.lease_until <= ?)
RETURNING node`)
	stmt, err := s.newCall(ctx, true, q, timeArg(s.dialect, day), c.PolicyDomain, c.Node,
		timeArg(s.dialect, c.Until), timeArg(s.dialect, c.Now))
	if err != nil {
		return false, fmt.Errorf("store: claim report: %w", err)
	}
	var won bool
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := stmt.query(ctx, tx)
		if err != nil {
			return err
		}
		won = rows.Next()
		if err := rows.Close(); err != nil {
			return err
		}
		return rows.Err()
	})
	if err != nil {
		return false, fmt.Errorf("store: claim report %s %s: %w", day.Format(time.DateOnly), c.PolicyDomain, err)
	}
	return won, nil
}

// FinishReport marks the report of (c.Day, c.PolicyDomain) finished, so
// that no node claims it again (aggregate.Store). It fails with
// aggregate.ErrNotClaimed unless c.Node holds the claim. A node holds its
// claim until another node takes it over, also after its lease expired;
// finishing a finished report again is no error for its holder.
func (s *Store) FinishReport(ctx context.Context, c aggregate.Claim) error {
	day, err := checkClaim(c)
	if err != nil {
		return fmt.Errorf("store: finish report: %w", err)
	}
	n, err := s.writeOne(ctx, true, rebind(s.dialect,
		"UPDATE tlsrpt_mta_claims SET finished = TRUE WHERE day = ? AND policy_domain = ? AND node = ?"),
		timeArg(s.dialect, day), c.PolicyDomain, c.Node)
	if err != nil {
		return fmt.Errorf("store: finish report %s %s: %w", day.Format(time.DateOnly), c.PolicyDomain, err)
	}
	if n == 0 {
		return fmt.Errorf("store: finish report %s %s by %s: %w", day.Format(time.DateOnly), c.PolicyDomain, c.Node, aggregate.ErrNotClaimed)
	}
	return nil
}

func checkClaim(c aggregate.Claim) (time.Time, error) {
	day, err := utcDay(c.Day)
	if err != nil {
		return time.Time{}, err
	}
	if c.PolicyDomain == "" {
		return time.Time{}, errors.New("empty policy domain")
	}
	if c.Node == "" {
		return time.Time{}, errors.New("empty node")
	}
	return day, nil
}
