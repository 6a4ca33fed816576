"""`observatorio refresh`: find, download, validate and load each source's newest release."""
