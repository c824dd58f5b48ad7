"""The code behind build.py: load, check, render, write and index the timeline."""
