"""Shipped grammar sets, installed as package data (find them with edgekit.forest.load_forest)."""
