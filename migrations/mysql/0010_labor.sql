-- Labor: the store's pay rules (one row), wages with effective dates, weekly
-- budgets per department, pay periods (lock), timesheet approvals and punch
-- flags. Money is integer cents; calendar dates are CHAR(10) 'YYYY-MM-DD' in
-- the store's zone.
CREATE TABLE IF NOT EXISTS labor_settings (
  id TINYINT NOT NULL PRIMARY KEY,
  currency CHAR(3) NOT NULL DEFAULT 'CAD',
  weekly_overtime_minutes INT NOT NULL DEFAULT 2400,
  daily_overtime_minutes INT NOT NULL DEFAULT 0,
  overtime_multiplier_percent INT NOT NULL DEFAULT 150,
  break_after_minutes INT NOT NULL DEFAULT 0,
  break_minutes INT NOT NULL DEFAULT 0,
  pay_period_kind VARCHAR(16) NOT NULL DEFAULT 'biweekly',
  pay_period_anchor CHAR(10) NOT NULL DEFAULT '2026-01-05',
  version BIGINT NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO labor_settings (id, updated_at) VALUES (1, '2026-01-01 00:00:00');

CREATE TABLE IF NOT EXISTS wages (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  employee_id BIGINT NOT NULL,
  position VARCHAR(80) NOT NULL DEFAULT '',
  rate_cents BIGINT NOT NULL,
  effective_on CHAR(10) NOT NULL,
  created_by BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_wages (employee_id, position, effective_on),
  CONSTRAINT fk_wages_emp FOREIGN KEY (employee_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS labor_budgets (
  department_id BIGINT NOT NULL,
  week_start CHAR(10) NOT NULL,
  kind VARCHAR(8) NOT NULL,
  amount BIGINT NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (department_id, week_start),
  CONSTRAINT fk_budgets_dept FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS pay_periods (
  starts_on CHAR(10) NOT NULL PRIMARY KEY,
  ends_on CHAR(10) NOT NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6) NOT NULL,
  status VARCHAR(16) NOT NULL,
  locked_by BIGINT NULL,
  locked_at DATETIME(6) NULL,
  version BIGINT NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_pay_periods_at (status, starts_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS timesheet_approvals (
  period_start CHAR(10) NOT NULL,
  employee_id BIGINT NOT NULL,
  fingerprint VARCHAR(64) NOT NULL,
  approved_by BIGINT NOT NULL,
  approved_at DATETIME(6) NOT NULL,
  PRIMARY KEY (period_start, employee_id),
  CONSTRAINT fk_approvals_emp FOREIGN KEY (employee_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS punch_flags (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  record_id BIGINT NOT NULL,
  employee_id BIGINT NOT NULL,
  comment VARCHAR(500) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  resolved_by BIGINT NULL,
  resolved_at DATETIME(6) NULL,
  KEY idx_punch_flags_record (record_id),
  KEY idx_punch_flags_emp (employee_id, created_at),
  CONSTRAINT fk_punch_flags_record FOREIGN KEY (record_id) REFERENCES attendance_records (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Report kinds grow longer names (payroll_paymentevolution).
ALTER TABLE reports MODIFY kind VARCHAR(40) NOT NULL;

-- Sales forecast per department and store day (cents), for labor % of sales.
CREATE TABLE IF NOT EXISTS sales_forecasts (
  department_id BIGINT NOT NULL,
  day CHAR(10) NOT NULL,
  cents BIGINT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (department_id, day),
  CONSTRAINT fk_sales_dept FOREIGN KEY (department_id) REFERENCES departments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
