// setupFilesAfterEnv of the jest "integration" project (testTimeout is a global option in jest 29).
jest.setTimeout(60_000);
