// TLS module tests arrive with the module's own test suite.
