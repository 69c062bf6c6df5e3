// Package attendance records who worked when: clock in and out (from a
// phone, or at a kiosk with a PIN), breaks, and manager corrections with a
// reason. Records link to the published shift they were worked against; the
// figures managers read (late minutes, early leave, worked time, weekly
// overtime, hourly coverage of the floor) come from the pure functions of
// calc.go, so the rules live in one tested place.
//
// One open record per person is enforced by the database: open records
// carry open_employee_id = employee_id under a unique index, cleared on
// clock-out, so two clock-ins from two phones at once cannot both succeed
// (the second gets 409). Breaks use the same device (open_record_id).
//
// Clock-in window: a person with a published shift may clock in from the
// store's clock_in_early_minutes before it starts until it ends. Someone
// whose next shift today starts later than that is told when they may clock
// in (422); someone with no shift today may clock in unscheduled (their
// first department; managers see shift_id null).
package attendance
