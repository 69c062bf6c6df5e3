-- Events are inserted unsequenced (seq NULL) inside the writing transaction
-- and numbered after commit by the outbox sequencer, in one short
-- transaction per batch: writers no longer queue on the counter row while
-- their commit is flushed. id orders the unsequenced rows; seq stays the
-- public, gap-free order that clients resume from.
ALTER TABLE events
  DROP PRIMARY KEY,
  ADD COLUMN id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY FIRST,
  MODIFY seq BIGINT NULL,
  ADD UNIQUE KEY uq_events_seq (seq);
