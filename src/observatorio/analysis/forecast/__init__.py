"""Forecasts and early warning."""
