"""Role assistant: answers questions about data and ML roles from an article and job postings."""
