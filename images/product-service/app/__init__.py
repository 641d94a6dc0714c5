"""CloudMart product-service: the catalog (FerretDB via pymongo) with a Redis cache."""
