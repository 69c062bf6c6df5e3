-- Labor: the store's pay rules (one row), wages with effective dates, weekly
-- budgets per department, pay periods (lock), timesheet approvals and punch
-- flags. Money is integer cents; calendar dates are 'YYYY-MM-DD' text in the
-- store's zone.
CREATE TABLE labor_settings (
  id INTEGER NOT NULL PRIMARY KEY,
  currency TEXT NOT NULL DEFAULT 'CAD',
  weekly_overtime_minutes INTEGER NOT NULL DEFAULT 2400,
  daily_overtime_minutes INTEGER NOT NULL DEFAULT 0,
  overtime_multiplier_percent INTEGER NOT NULL DEFAULT 150,
  break_after_minutes INTEGER NOT NULL DEFAULT 0,
  break_minutes INTEGER NOT NULL DEFAULT 0,
  pay_period_kind TEXT NOT NULL DEFAULT 'biweekly',
  pay_period_anchor TEXT NOT NULL DEFAULT '2026-01-05',
  version INTEGER NOT NULL DEFAULT 1,
  updated_at DATETIME NOT NULL
);

INSERT OR IGNORE INTO labor_settings (id, updated_at) VALUES (1, '2026-01-01 00:00:00');

CREATE TABLE wages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  employee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  position TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
  rate_cents INTEGER NOT NULL,
  effective_on TEXT NOT NULL,
  created_by INTEGER NULL,
  created_at DATETIME NOT NULL,
  UNIQUE (employee_id, position, effective_on)
);

CREATE TABLE labor_budgets (
  department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
  week_start TEXT NOT NULL,
  kind TEXT NOT NULL,
  amount INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at DATETIME NOT NULL,
  PRIMARY KEY (department_id, week_start)
);

CREATE TABLE pay_periods (
  starts_on TEXT NOT NULL PRIMARY KEY,
  ends_on TEXT NOT NULL,
  starts_at DATETIME NOT NULL,
  ends_at DATETIME NOT NULL,
  status TEXT NOT NULL,
  locked_by INTEGER NULL,
  locked_at DATETIME NULL,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_pay_periods_at ON pay_periods (status, starts_at);

CREATE TABLE timesheet_approvals (
  period_start TEXT NOT NULL,
  employee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  approved_by INTEGER NOT NULL,
  approved_at DATETIME NOT NULL,
  PRIMARY KEY (period_start, employee_id)
);

CREATE TABLE punch_flags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id INTEGER NOT NULL REFERENCES attendance_records (id) ON DELETE CASCADE,
  employee_id INTEGER NOT NULL,
  comment TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  resolved_by INTEGER NULL,
  resolved_at DATETIME NULL
);
CREATE INDEX idx_punch_flags_record ON punch_flags (record_id);
CREATE INDEX idx_punch_flags_emp ON punch_flags (employee_id, created_at);

-- Sales forecast per department and store day (cents), for labor % of sales.
CREATE TABLE sales_forecasts (
  department_id INTEGER NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  cents INTEGER NOT NULL,
  updated_at DATETIME NOT NULL,
  PRIMARY KEY (department_id, day)
);
