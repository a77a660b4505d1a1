package postgres

// Forbidden exposes forbidden to the tests.
var Forbidden = forbidden
