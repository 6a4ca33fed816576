"""Cases API routes (placeholder until the cases engineer fills it in)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
