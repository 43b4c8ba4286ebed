"""Signing: did:key identifiers and Data Integrity proofs (eddsa-rdfc-2022) for exports."""
