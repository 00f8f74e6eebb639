"""The TAXII 2.1 server under ``/taxii2/`` (thin routes over the STIX export and loader) and client."""
