-- "Later" on a daily prompt: when to send that prompt once more (UTC seconds). It lives on the
-- prompt's own delivery row, so it belongs to one person, one local date and one prompt, and it
-- goes when the person's deliveries are erased.
ALTER TABLE deliveries ADD COLUMN again_at INTEGER;

-- The scheduler's tick asks only for re-sends that are due; this keeps that query proportional to
-- the few pending ones, not to every delivery ever made.
CREATE INDEX deliveries_again_due ON deliveries (again_at) WHERE again_at IS NOT NULL;
