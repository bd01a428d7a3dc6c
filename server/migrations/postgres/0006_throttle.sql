-- Throttling of guesses (passwords, enrolment codes): one row per counter, named by what it
-- counts (`bucket`: sign-in per login and address, sign-in per address, enrolment per address)
-- and whose attempts (`subject`). An attempt is counted before it is checked, so concurrent
-- guesses cannot outrun the count; the count starts again at 1 once `resets_at` has passed.
-- Replaces sign_in_failures, which paused a login for everyone after failures from anyone.

CREATE TABLE throttle (
    bucket TEXT NOT NULL,
    subject TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    resets_at BIGINT NOT NULL,
    PRIMARY KEY (bucket, subject)
);
CREATE INDEX throttle_resets_at ON throttle (resets_at);

DROP TABLE sign_in_failures;
