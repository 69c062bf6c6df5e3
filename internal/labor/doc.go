// Package labor is what worked and scheduled hours cost: the store's pay
// rules (overtime thresholds and multiplier, the unpaid-break rule, the pay
// period), wages with effective dates, weekly budgets per department, the
// week builder's cost, timesheets per pay period (approve, lock, reopen,
// flags) and the payroll export's rows.
//
// payrules.go is the arithmetic, pure and table-tested; everything else
// reads the database and checks, with the object in hand, who may see it.
// Wages are seen by admins, the managers of the person and the person
// themselves, never by colleagues.
//
// Money is integer cents in the store's currency, never a float. Time is
// paid in whole minutes per punch (a record's worked_minutes, rounded down),
// the same figure attendance shows. A punch belongs, whole, to the store day
// (and so the week and the pay period) on which it started, as on a paper
// timesheet; a night across midnight is one day's work.
package labor
