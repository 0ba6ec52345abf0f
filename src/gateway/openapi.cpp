#include "gateway/openapi.hpp"

namespace rampart::gateway {

namespace {
constexpr const char* kDoc = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "Rampart wallet gateway",
    "version": "1",
    "description": "A BFT wallet behind an untrusted gateway: every answer carries a proof verifiable with nothing but cluster.toml's group public key: a CART proof for operations and ordered reads (a reply whose result is a leaf of a results tree whose block header is group-signed by the cluster), a state proof for proven reads (the accounts hash to a group-signed block's state digest). docs/wallet.md."
  },
  "paths": {
    "/v1/transfer": {
      "post": {
        "summary": "Transfer from one account to another (signed by the from account)",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Leg"}}}},
        "responses": {
          "200": {"description": "Executed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}},
          "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
          "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/Problem"}, "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/atomic-transfer": {
      "post": {
        "summary": "Several transfers, possibly from several accounts, all or nothing; every owner signs all legs",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "additionalProperties": false, "required": ["legs"],
          "properties": {"legs": {"type": "array", "minItems": 1, "maxItems": 64, "items": {"$ref": "#/components/schemas/Leg"}}}}}}},
        "responses": {
          "200": {"description": "Executed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}},
          "400": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
          "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/Problem"}, "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/balance/{account}": {
      "get": {
        "summary": "Balance and next nonce of an account (0 for an unknown account). By default a proven read: a replica's read server answers from its latest final block (at least min_k) with a state proof the gateway verified and the caller can verify again; ordered=true reads through consensus instead (a CART reply)",
        "parameters": [{"name": "account", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Account"}},
          {"$ref": "#/components/parameters/Ordered"}, {"$ref": "#/components/parameters/MinK"}],
        "responses": {
          "200": {"description": "Balance: a ProvenRead, or with ordered=true an Answer", "content": {"application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/ProvenRead"}, {"$ref": "#/components/schemas/Answer"}]}}}},
          "400": {"$ref": "#/components/responses/Problem"}, "429": {"$ref": "#/components/responses/Problem"},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/ledger": {
      "get": {
        "summary": "A page of accounts and balances in account order; a proven read by default (as for balance), ordered=true through consensus",
        "parameters": [
          {"name": "after", "in": "query", "required": false, "schema": {"$ref": "#/components/schemas/Account"}},
          {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 256, "default": 100}},
          {"$ref": "#/components/parameters/Ordered"}, {"$ref": "#/components/parameters/MinK"}
        ],
        "responses": {
          "200": {"description": "Page: a ProvenRead, or with ordered=true an Answer", "content": {"application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/ProvenRead"}, {"$ref": "#/components/schemas/Answer"}]}}}},
          "400": {"$ref": "#/components/responses/Problem"}, "429": {"$ref": "#/components/responses/Problem"},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/blocks/{k}": {
      "get": {
        "summary": "Block k's header and group signature, if this gateway has seen it",
        "parameters": [{"name": "k", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
        "responses": {
          "200": {"description": "Block", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Block"}}}},
          "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/blocks": {
      "get": {
        "summary": "The newest blocks this gateway has seen, newest first (the dashboard's list)",
        "parameters": [{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 64, "default": 12}}],
        "responses": {
          "200": {"description": "Blocks", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "blocks": {"type": "array", "items": {"$ref": "#/components/schemas/Block"}}}}}}},
          "400": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/replicas": {
      "get": {
        "summary": "Each replica's view, role and heights as it reports them on its metrics port (self-reported, not proven; cached up to 0.5 s)",
        "responses": {"200": {"description": "Replicas", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "sampled_unix_ms": {"type": "integer"}, "source": {"type": "string"},
          "replicas": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "host": {"type": "string"}, "metrics_port": {"type": "integer"}, "up": {"type": "boolean"},
            "role": {"type": "string", "enum": ["primary", "backup", "unreachable"]}, "view": {"type": "integer"},
            "height": {"type": "integer"}, "final_height": {"type": "integer"}, "proven_height": {"type": "integer"},
            "ops_executed": {"type": "integer"}}}}}}}}}}
      }
    },
    "/v1/stats": {
      "get": {
        "summary": "Requests this gateway answered with a verified reply, per second over the last 60 s, with p50/p99 latency",
        "responses": {"200": {"description": "Per-second series, oldest first", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "what": {"type": "string"},
          "seconds": {"type": "array", "items": {"type": "object", "properties": {
            "age_s": {"type": "integer"}, "requests": {"type": "integer"},
            "p50_ms": {"type": ["number", "null"]}, "p99_ms": {"type": ["number", "null"]}}}}}}}}}}
      }
    },
    "/": {
      "get": {
        "summary": "The web dashboard (self-contained HTML; reads this API)",
        "responses": {"200": {"description": "Dashboard", "content": {"text/html": {"schema": {"type": "string"}}}}}
      }
    },
    "/v1/status": {
      "get": {
        "summary": "The cluster as configured and this gateway's state",
        "responses": {"200": {"description": "Status", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/v1/events": {
      "get": {
        "summary": "Server-sent events: one 'block' event (data: a Block) per new block the gateway sees",
        "responses": {"200": {"description": "Event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}
      }
    },
    "/v1/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    }
  },
  "components": {
    "schemas": {
      "Account": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "Ed25519 public key, hex"},
      "U64": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 18446744073709551615}, {"type": "string", "pattern": "^[0-9]{1,20}$"}]},
      "Leg": {
        "type": "object", "additionalProperties": false, "required": ["from", "to", "amount", "nonce", "signature"],
        "properties": {
          "from": {"$ref": "#/components/schemas/Account"},
          "to": {"$ref": "#/components/schemas/Account"},
          "amount": {"$ref": "#/components/schemas/U64"},
          "nonce": {"$ref": "#/components/schemas/U64"},
          "signature": {"type": "string", "pattern": "^[0-9a-fA-F]{128}$", "description": "Ed25519 over the signing message of all legs (docs/wallet.md)"}
        }
      },
      "Entry": {"type": "object", "properties": {"account": {"$ref": "#/components/schemas/Account"}, "balance": {"type": "integer"}, "nonce": {"type": "integer"}}},
      "Result": {"type": "object", "properties": {
        "code": {"type": "string", "enum": ["ok", "malformed", "bad_signature", "replay", "nonce_gap", "insufficient_funds", "overflow", "bad_amount"]},
        "reason": {"type": "string"}, "op_hash": {"type": "string"}, "more": {"type": "boolean"},
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}},
      "Proof": {"type": "object", "description": "CART reply: 'reply' is the hex of the replica's REPLY frame; the other fields repeat it for reading",
        "properties": {"type": {"const": "cart-reply"}, "reply": {"type": "string"}, "k": {"type": "integer"}, "view": {"type": "integer"},
          "client": {"type": "integer"}, "seq": {"type": "integer"}, "results_root": {"type": "string"}, "state_digest": {"type": "string"},
          "batch_digest": {"type": "string"}, "prev_hash": {"type": "string"}, "merkle_proof": {"type": "string"}, "group_signature": {"type": "string"}}},
      "StateProof": {"type": "object", "description": "A wallet state proof (docs/wallet.md, 'State proofs'): 'state_proof' is the hex of its wire encoding (client/wallet_proof.hpp), the only field a verifier needs; the others repeat it for reading. Verify: the range proof in 'accounts' hashes to an app digest that, with reply_cache_digest, combines to block k's state_digest, and group_signature verifies over (view, k, hash)",
        "properties": {"type": {"const": "state-proof"}, "state_proof": {"type": "string"}, "k": {"type": "integer"}, "view": {"type": "integer"},
          "hash": {"type": "string"}, "batch_digest": {"type": "string"}, "prev_hash": {"type": "string"}, "state_digest": {"type": "string"},
          "results_root": {"type": "string"}, "group_signature": {"type": "string"}, "reply_cache_digest": {"type": "string"},
          "accounts": {"type": "string", "description": "hex of the accounts range proof"}}},
      "ProvenRead": {"type": "object", "description": "The accounts as of block read.k, proven by 'proof'",
        "properties": {
          "result": {"type": "object", "properties": {"code": {"const": "ok"}, "more": {"type": "boolean"},
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}}},
          "read": {"type": "object", "properties": {"type": {"const": "proven"}, "k": {"type": "integer"}, "min_k": {"type": "integer"},
            "server": {"type": "string", "description": "the read server that answered (untrusted; the proof is what counts)"}}},
          "proof": {"$ref": "#/components/schemas/StateProof"}}},
      "Answer": {"type": "object", "properties": {"result": {"$ref": "#/components/schemas/Result"}, "operation": {"type": "string"}, "proof": {"$ref": "#/components/schemas/Proof"}}},
      "Block": {"type": "object", "properties": {"k": {"type": "integer"}, "view": {"type": "integer"}, "hash": {"type": "string"},
        "batch_digest": {"type": "string"}, "prev_hash": {"type": "string"}, "state_digest": {"type": "string"},
        "results_root": {"type": "string"}, "group_signature": {"type": "string"},
        "verified_by": {"const": "gateway", "description": "the gateway checked the group signature (and the reply's Merkle proof) before listing the block; re-check it from group_signature to trust no gateway"}}},
      "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "field": {"type": "string"}, "result": {"$ref": "#/components/schemas/Result"},
        "operation": {"type": "string"}, "proof": {"$ref": "#/components/schemas/Proof"}}}
    },
    "parameters": {
      "Ordered": {"name": "ordered", "in": "query", "required": false, "schema": {"type": "boolean", "default": false},
        "description": "true: read through consensus (an Answer with a CART reply) instead of a proven read"},
      "MinK": {"name": "min_k", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0},
        "description": "proven reads: the lowest block the answer may be from (e.g. the block of your last transfer); 503 height-not-reached when no read server reaches it in time"}
    },
    "responses": {
      "Problem": {"description": "RFC 9457 problem; cluster rejections (409, 422) carry their result and proof; 503 cluster-unavailable or height-not-reached (proven reads below min_k)",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    }
  }
})json";
}  // namespace

const nlohmann::json& openapi_document() {
  static const nlohmann::json doc = nlohmann::json::parse(kDoc);
  return doc;
}

}  // namespace rampart::gateway
