"""Fortnox's error answers, in both casings, become the exception an operator can act on."""
import pytest

from fortnox_etl.fortnox.errors import (
    FortnoxUnavailable,
    InvalidData,
    LockedPeriod,
    MissingScopeOrLicence,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    error_for_response,
)


@pytest.mark.parametrize("status, body, kind, words", [
    (400, {"ErrorInformation": {"error": 1, "message": "Bokföringen har låst perioden t.o.m. 2025-06-30", "code": 2000401}},
     LockedPeriod, 'ask the client to open the period or choose a later date. Fortnox said: "Bokföringen har låst perioden t.o.m. 2025-06-30" (code 2000401)'),
    (404, {"ErrorInformation": {"Error": 1, "Message": "Kan inte hitta kontot.", "Code": 2000423}},
     NotFound, 'Fortnox has no such record. Fortnox said: "Kan inte hitta kontot." (code 2000423)'),
    (403, {"ErrorInformation": {"error": 1, "message": "Har inte behörighet för scope.", "code": 2000663}},
     MissingScopeOrLicence, "the client must add it in Fortnox and reconnect"),
    (400, {"ErrorInformation": {"error": 1, "message": "Saknar licens.", "code": 2001101}},
     MissingScopeOrLicence, "lacks the licence"),
    (401, {"message": "unauthorized"}, ReconnectNeeded, "Fortnox did not accept our access"),
    (429, {"message": "Too many requests"}, RateLimited, "retry after a pause"),
    (503, {"ErrorInformation": {"error": 1, "message": "Systemfel", "code": 1000003}}, FortnoxUnavailable, "try again later"),
    (400, {"ErrorInformation": {"error": 1, "message": "Verifikationen måste ha minst två rader.", "code": 2001897}},
     InvalidData, 'Fortnox refused the request (400). Fortnox said: "Verifikationen måste ha minst två rader."'),
    (400, None, InvalidData, "Fortnox refused the request (400)."),
])
def test_error_answers_become_exceptions_with_the_action(status, body, kind, words):
    error = error_for_response(status, body, "GET /3/x")
    assert type(error) is kind
    assert str(error).startswith("GET /3/x: ") and words in str(error)
