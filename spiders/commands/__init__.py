"""Scrapy commands of the project (COMMANDS_MODULE): each replaces the Scrapy command named so."""
