-- An export attempt holds its report with a short lease that it renews while
-- it runs; a report still running after its lease lapsed lost its worker and
-- is retried (status retrying) without waiting for the queue's own recovery.
ALTER TABLE reports ADD COLUMN lease_until DATETIME NULL;
