"""Reference 000's shared mock library, as its YAML is meant to read (the document flattens
the indentation). Replay serves these; verify-contracts judges them.
"""
from __future__ import annotations

REFERENCE_MOCKS = {
    "mock-stripe-success.yaml": """type: MOCK
name: mock-stripe
mockTarget: api.stripe.com
mockPath: /v1/charges
mockResponseStatus: 200
mockResponseHeaders:
  content-type: application/json
mockResponseBody:
  id: ch_test_123
  object: charge
  status: succeeded
  amount: 2498
  currency: usd
""",
    "mock-sendgrid-success.yaml": """type: MOCK
name: mock-sendgrid
mockTarget: api.sendgrid.com
mockPath: /v3/mail/send
mockResponseStatus: 202
mockResponseHeaders:
  content-type: application/json
mockResponseBody: {}
""",
    "mock-twilio-success.yaml": """type: MOCK
name: mock-twilio
mockTarget: api.twilio.com
mockPath: /2010-04-01/Accounts/*/Messages.json
mockResponseStatus: 201
mockResponseHeaders:
  content-type: application/json
mockResponseBody:
  sid: SM_test_456
  status: queued
""",
}

TWILIO_MOCK = REFERENCE_MOCKS["mock-twilio-success.yaml"]
