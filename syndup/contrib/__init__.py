"""Integrations with other tools: `syndup.contrib.scrapy` (a Scrapy item pipeline)."""
