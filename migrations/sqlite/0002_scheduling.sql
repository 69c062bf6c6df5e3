-- Scheduling (issue 3): shifts, availability, time off, open-shift claims, swaps, iCal tokens.
-- Calendar dates are TEXT 'YYYY-MM-DD' in the store's zone; instants are UTC DATETIME text.
CREATE TABLE shifts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  department_id INTEGER NOT NULL REFERENCES departments (id),
  employee_id INTEGER NULL REFERENCES users (id),
  starts_at DATETIME NOT NULL,
  ends_at DATETIME NOT NULL,
  position TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_shifts_dept_start ON shifts (department_id, starts_at);
CREATE INDEX idx_shifts_emp_start ON shifts (employee_id, starts_at);

CREATE TABLE availability (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  weekday INTEGER NOT NULL,
  start_minute INTEGER NOT NULL,
  end_minute INTEGER NOT NULL
);
CREATE INDEX idx_availability_user ON availability (user_id, weekday);

CREATE TABLE time_off (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  employee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  starts_on TEXT NOT NULL,
  ends_on TEXT NOT NULL,
  starts_at DATETIME NOT NULL,
  ends_at DATETIME NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  decided_by INTEGER NULL,
  decided_at DATETIME NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_time_off_emp ON time_off (employee_id, starts_at);
CREATE INDEX idx_time_off_status ON time_off (status, starts_at);

CREATE TABLE shift_claims (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  shift_id INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
  employee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  decided_by INTEGER NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_claims_shift ON shift_claims (shift_id, status);

CREATE TABLE swap_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  shift_id INTEGER NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
  from_employee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  to_employee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  decided_by INTEGER NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_swaps_shift ON swap_requests (shift_id, status);
CREATE INDEX idx_swaps_to ON swap_requests (to_employee_id, status);

CREATE TABLE ical_tokens (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  token_hash BLOB NOT NULL UNIQUE,
  created_at DATETIME NOT NULL
);
