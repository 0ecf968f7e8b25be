-- The client's vouchers an export run has work with: drafts to ask about, approved ones to post, and those a
-- crashed posting left to settle.
SELECT COUNT(*) FROM outbox_vouchers
WHERE client_key = :client_key AND state IN ('draft', 'approved', 'posting')
