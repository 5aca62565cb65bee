// setupFilesAfterEnv of the jest "integration" project (testTimeout is a global option in jest 29).
// Generous: a platform start-up on a busy machine (the other core loaded) can take a minute.
jest.setTimeout(120_000);
