-- Scheduling (issue 3): shifts, availability, time off, open-shift claims, swaps, iCal tokens.
-- Calendar dates are CHAR(10) 'YYYY-MM-DD' in the store's zone (compare as text on both dialects);
-- instants are DATETIME(6) UTC.
CREATE TABLE IF NOT EXISTS shifts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  department_id BIGINT NOT NULL,
  employee_id BIGINT NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6) NOT NULL,
  position VARCHAR(80) NOT NULL DEFAULT '',
  notes VARCHAR(1000) NOT NULL DEFAULT '',
  status VARCHAR(16) NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_shifts_dept_start (department_id, starts_at),
  KEY idx_shifts_emp_start (employee_id, starts_at),
  CONSTRAINT fk_shifts_dept FOREIGN KEY (department_id) REFERENCES departments (id),
  CONSTRAINT fk_shifts_emp FOREIGN KEY (employee_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS availability (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  weekday TINYINT NOT NULL,
  start_minute INT NOT NULL,
  end_minute INT NOT NULL,
  KEY idx_availability_user (user_id, weekday),
  CONSTRAINT fk_availability_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS time_off (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  employee_id BIGINT NOT NULL,
  starts_on CHAR(10) NOT NULL,
  ends_on CHAR(10) NOT NULL,
  starts_at DATETIME(6) NOT NULL,
  ends_at DATETIME(6) NOT NULL,
  reason VARCHAR(500) NOT NULL DEFAULT '',
  status VARCHAR(16) NOT NULL,
  decided_by BIGINT NULL,
  decided_at DATETIME(6) NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  KEY idx_time_off_emp (employee_id, starts_at),
  KEY idx_time_off_status (status, starts_at),
  CONSTRAINT fk_time_off_emp FOREIGN KEY (employee_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS shift_claims (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  shift_id BIGINT NOT NULL,
  employee_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  decided_by BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_claims_shift (shift_id, status),
  CONSTRAINT fk_claims_shift FOREIGN KEY (shift_id) REFERENCES shifts (id) ON DELETE CASCADE,
  CONSTRAINT fk_claims_emp FOREIGN KEY (employee_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS swap_requests (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  shift_id BIGINT NOT NULL,
  from_employee_id BIGINT NOT NULL,
  to_employee_id BIGINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  decided_by BIGINT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  KEY idx_swaps_shift (shift_id, status),
  KEY idx_swaps_to (to_employee_id, status),
  CONSTRAINT fk_swaps_shift FOREIGN KEY (shift_id) REFERENCES shifts (id) ON DELETE CASCADE,
  CONSTRAINT fk_swaps_from FOREIGN KEY (from_employee_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_swaps_to FOREIGN KEY (to_employee_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS ical_tokens (
  user_id BIGINT NOT NULL PRIMARY KEY,
  token_hash BINARY(32) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_ical_token (token_hash),
  CONSTRAINT fk_ical_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
