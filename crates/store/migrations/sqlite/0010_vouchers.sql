-- Vouchers (创新券 / 算力券 / 模型券): schemes with their rules as JSON, rounds with pool budgets,
-- quota grants to enterprises, registered providers, related parties, and redemptions
-- (submitted by a provider, confirmed by the enterprise, written off by the platform).
-- Counters on rounds and vouchers are changed only by conditional updates, so concurrent
-- grants and redemptions can never overspend a pool or a voucher (SQLite).
CREATE TABLE voucher_schemes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    legal_ref TEXT NOT NULL,
    rules_json TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE voucher_rounds (
    id INTEGER PRIMARY KEY,
    scheme_id BIGINT NOT NULL REFERENCES voucher_schemes(id),
    name TEXT NOT NULL,
    year BIGINT NOT NULL,
    pool_fen BIGINT NOT NULL,
    issued_fen BIGINT NOT NULL DEFAULT 0,
    expired_fen BIGINT NOT NULL DEFAULT 0,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (pool_fen >= 0),
    CHECK (issued_fen - expired_fen <= pool_fen)
);
CREATE INDEX voucher_rounds_scheme ON voucher_rounds(scheme_id, year);
CREATE TABLE voucher_providers (
    id INTEGER PRIMARY KEY,
    user_id BIGINT UNIQUE REFERENCES users(id),
    name TEXT NOT NULL,
    uscc TEXT NOT NULL UNIQUE,
    kinds TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE voucher_related_parties (
    provider_id BIGINT NOT NULL REFERENCES voucher_providers(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (provider_id, enterprise_id)
);
CREATE TABLE vouchers (
    id INTEGER PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES voucher_rounds(id),
    scheme_id BIGINT NOT NULL REFERENCES voucher_schemes(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    amount_fen BIGINT NOT NULL,
    held_fen BIGINT NOT NULL DEFAULT 0,
    redeemed_fen BIGINT NOT NULL DEFAULT 0,
    expired_fen BIGINT NOT NULL DEFAULT 0,
    valid_until TEXT NOT NULL,
    status TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    expired_at TEXT,
    CHECK (amount_fen > 0),
    CHECK (held_fen >= 0 AND redeemed_fen >= 0 AND expired_fen >= 0),
    CHECK (held_fen + redeemed_fen + expired_fen <= amount_fen)
);
CREATE UNIQUE INDEX vouchers_round_enterprise ON vouchers(round_id, enterprise_id);
CREATE INDEX vouchers_enterprise ON vouchers(enterprise_id, scheme_id);
CREATE INDEX vouchers_scheme ON vouchers(scheme_id, status);
CREATE INDEX vouchers_valid ON vouchers(status, valid_until);
CREATE TABLE voucher_usage (
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    scheme_id BIGINT NOT NULL REFERENCES voucher_schemes(id),
    year BIGINT NOT NULL,
    contracts_fen BIGINT NOT NULL DEFAULT 0,
    used_fen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (enterprise_id, scheme_id, year)
);
CREATE TABLE voucher_redemptions (
    id INTEGER PRIMARY KEY,
    voucher_id BIGINT NOT NULL REFERENCES vouchers(id),
    scheme_id BIGINT NOT NULL REFERENCES voucher_schemes(id),
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    provider_id BIGINT NOT NULL REFERENCES voucher_providers(id),
    request_key TEXT NOT NULL,
    contract_no TEXT NOT NULL,
    contract_key TEXT,
    invoice_fen BIGINT NOT NULL,
    compute TEXT,
    service_type TEXT NOT NULL,
    tier TEXT NOT NULL,
    rate_bp BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    explain TEXT NOT NULL,
    year BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    submitted_at TEXT NOT NULL,
    confirmed_at TEXT,
    written_off_at TEXT,
    rejected_at TEXT,
    updated_at TEXT NOT NULL,
    CHECK (invoice_fen > 0 AND amount_fen > 0)
);
CREATE UNIQUE INDEX voucher_redemptions_key ON voucher_redemptions(provider_id, request_key);
CREATE UNIQUE INDEX voucher_redemptions_contract ON voucher_redemptions(provider_id, contract_key);
CREATE INDEX voucher_redemptions_voucher ON voucher_redemptions(voucher_id, status);
CREATE INDEX voucher_redemptions_enterprise ON voucher_redemptions(enterprise_id, status);
CREATE INDEX voucher_redemptions_status ON voucher_redemptions(status, scheme_id);
