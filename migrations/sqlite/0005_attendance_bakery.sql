-- Attendance (clock in/out, breaks, kiosk PINs) and the bakery (items, sheets, counts).
-- attendance_records.shift_id names a row of shifts (issue 3); it has no foreign key so that
-- this migration does not depend on the order in which 0002 and 0005 land.
CREATE TABLE attendance_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  employee_id INTEGER NOT NULL REFERENCES users (id),
  department_id INTEGER NULL,
  shift_id INTEGER NULL,
  clock_in_at DATETIME NOT NULL,
  clock_out_at DATETIME NULL,
  open_employee_id INTEGER NULL UNIQUE,
  source TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL
);
CREATE INDEX idx_attendance_employee ON attendance_records (employee_id, clock_in_at);
CREATE INDEX idx_attendance_dept ON attendance_records (department_id, clock_in_at);
CREATE INDEX idx_attendance_in ON attendance_records (clock_in_at);
CREATE INDEX idx_attendance_shift ON attendance_records (shift_id);

CREATE TABLE attendance_breaks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id INTEGER NOT NULL REFERENCES attendance_records (id) ON DELETE CASCADE,
  starts_at DATETIME NOT NULL,
  ends_at DATETIME NULL,
  open_record_id INTEGER NULL UNIQUE
);
CREATE INDEX idx_breaks_record ON attendance_breaks (record_id, starts_at);

CREATE TABLE user_pins (
  user_id INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  pin_hash TEXT NOT NULL,
  badge TEXT NULL UNIQUE,
  updated_at DATETIME NOT NULL
);

CREATE TABLE bakery_config (
  id INTEGER NOT NULL PRIMARY KEY,
  department_id INTEGER NULL REFERENCES departments (id),
  version INTEGER NOT NULL DEFAULT 1,
  updated_at DATETIME NOT NULL
);

INSERT OR IGNORE INTO bakery_config (id, department_id, version, updated_at) VALUES (1, NULL, 1, '2026-01-01 00:00:00');

CREATE TABLE bakery_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  name TEXT NOT NULL COLLATE NOCASE,
  upper_limit INTEGER NOT NULL,
  sort_order INTEGER NOT NULL,
  active BOOLEAN NOT NULL DEFAULT 1,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  UNIQUE (kind, name)
);
CREATE INDEX idx_bakery_items_order ON bakery_items (kind, sort_order);

CREATE TABLE bakery_sheets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sheet_date DATE NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  finalized_at DATETIME NULL,
  finalized_by INTEGER NULL,
  UNIQUE (sheet_date, kind)
);
CREATE INDEX idx_bakery_sheets_kind ON bakery_sheets (kind, sheet_date);

CREATE TABLE bakery_counts (
  sheet_id INTEGER NOT NULL REFERENCES bakery_sheets (id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES bakery_items (id),
  count INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  updated_at DATETIME NOT NULL,
  updated_by INTEGER NULL,
  PRIMARY KEY (sheet_id, item_id)
);
CREATE INDEX idx_bakery_counts_item ON bakery_counts (item_id);

-- The catalogue of the first version's Tray Up and Pull RTU sheets.
INSERT OR IGNORE INTO bakery_items (kind, name, upper_limit, sort_order, active, version, created_at, updated_at) VALUES
  ('trayup', 'Butter Croissant', 48, 10, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Chocolate Croissant', 36, 20, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Almond Croissant', 24, 30, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Ham & Cheese Croissant', 24, 40, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Pain au Chocolat', 36, 50, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Apple Danish', 24, 60, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Cherry Danish', 24, 70, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Raspberry Danish', 24, 80, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Cheese Danish', 24, 90, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Blueberry Danish', 24, 100, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Lemon Danish', 18, 110, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Apple Strudel', 12, 120, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Cherry Strudel', 12, 130, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Cinnamon Roll', 36, 140, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Pecan Swirl', 18, 150, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Apple Turnover', 24, 160, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Raspberry Turnover', 24, 170, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Blueberry Scone', 24, 180, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Cheddar Scone', 18, 190, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Maple Pecan Plait', 12, 200, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Butter Tart', 36, 210, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('trayup', 'Raisin Tea Biscuit', 24, 220, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00');

INSERT OR IGNORE INTO bakery_items (kind, name, upper_limit, sort_order, active, version, created_at, updated_at) VALUES
  ('rtu', 'Plain Bagel', 60, 10, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Sesame Bagel', 60, 20, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Everything Bagel', 60, 30, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Cinnamon Raisin Bagel', 60, 40, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Blueberry Bagel', 60, 50, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Whole Wheat Bagel', 60, 60, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Poppy Seed Bagel', 60, 70, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Onion Bagel', 60, 80, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Multigrain Bagel', 60, 90, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Asiago Bagel', 60, 100, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Blueberry Muffin', 48, 110, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Banana Nut Muffin', 48, 120, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Raisin Bran Muffin', 48, 130, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Chocolate Chip Muffin', 48, 140, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Carrot Muffin', 48, 150, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Lemon Poppyseed Muffin', 48, 160, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Double Chocolate Muffin', 48, 170, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Cranberry Orange Muffin', 48, 180, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Morning Glory Muffin', 48, 190, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Apple Cinnamon Muffin', 48, 200, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Apple Pie', 12, 210, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Blueberry Pie', 12, 220, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Cherry Pie', 12, 230, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Pumpkin Pie', 12, 240, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Lemon Meringue Pie', 12, 250, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Coconut Cream Pie', 12, 260, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Strawberry Rhubarb Pie', 12, 270, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Pecan Pie', 12, 280, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Mincemeat Pie', 12, 290, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Peach Pie', 12, 300, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Plain Naan', 24, 310, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Garlic Naan', 24, 320, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Whole Wheat Naan', 24, 330, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Butter Naan', 24, 340, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'White Sandwich Loaf', 30, 350, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', '60% Whole Wheat Loaf', 30, 360, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', '12-Grain Loaf', 30, 370, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Light Rye Loaf', 30, 380, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Sourdough Loaf', 30, 390, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'French Baguette', 30, 400, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Italian Loaf', 30, 410, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Ciabatta Loaf', 30, 420, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Multigrain Loaf', 30, 430, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Raisin Loaf', 30, 440, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Brioche Loaf', 30, 450, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Challah', 30, 460, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Cinnamon Swirl Loaf', 30, 470, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Pumpernickel Loaf', 30, 480, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Texas Toast Loaf', 30, 490, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Kaiser Rolls 6pk', 24, 500, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Dinner Rolls 12pk', 24, 510, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Crusty Rolls 6pk', 24, 520, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Hot Dog Buns 8pk', 24, 530, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Hamburger Buns 8pk', 24, 540, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Pretzel Buns 4pk', 24, 550, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Sub Buns 6pk', 24, 560, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Brioche Buns 4pk', 24, 570, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'English Muffins 6pk', 24, 580, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Hot Cross Buns 6pk', 24, 590, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Chocolate Chip Cookies 12pk', 20, 600, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Oatmeal Raisin Cookies 12pk', 20, 610, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Peanut Butter Cookies 12pk', 20, 620, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Sugar Cookies 12pk', 20, 630, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Double Chocolate Cookies 12pk', 20, 640, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'White Chocolate Macadamia Cookies 12pk', 20, 650, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Shortbread Cookies 12pk', 20, 660, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Molasses Cookies 12pk', 20, 670, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Carrot Cake', 10, 680, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Black Forest Cake', 10, 690, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Tiramisu Cake', 10, 700, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Plain Cheesecake', 10, 710, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Chocolate Fudge Cake', 10, 720, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Lemon Loaf Cake', 10, 730, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Banana Loaf Cake', 10, 740, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Pound Cake', 10, 750, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Angel Food Cake', 10, 760, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Red Velvet Cupcakes 6pk', 10, 770, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Vanilla Cupcakes 6pk', 10, 780, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Chocolate Cupcakes 6pk', 10, 790, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Honey Dip Donut', 36, 800, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Boston Cream Donut', 36, 810, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Chocolate Dip Donut', 36, 820, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Jelly Filled Donut', 36, 830, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Apple Fritter Donut', 36, 840, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Old Fashioned Plain Donut', 36, 850, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Maple Dip Donut', 36, 860, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Sour Cream Glazed Donut', 36, 870, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'White Pita 6pk', 16, 880, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Whole Wheat Pita 6pk', 16, 890, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Flour Tortillas 10pk', 16, 900, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Whole Wheat Tortillas 10pk', 16, 910, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Rosemary Focaccia', 16, 920, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Garlic Bread', 16, 930, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Brownies 6pk', 16, 940, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Nanaimo Bars 6pk', 16, 950, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Date Squares 6pk', 16, 960, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Lemon Squares 6pk', 16, 970, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Pizza Dough Ball', 16, 980, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Thin Pizza Crust 2pk', 16, 990, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Garlic Knots 8pk', 16, 1000, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Breadsticks 12pk', 16, 1010, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Biscotti 8pk', 16, 1020, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Butter Tarts 6pk', 16, 1030, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Cinnamon Buns 6pk', 16, 1040, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Croissants 6pk', 16, 1050, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Mini Croissants 12pk', 16, 1060, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Donut Holes 20pk', 16, 1070, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
  ('rtu', 'Fruitcake', 16, 1080, TRUE, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00');

