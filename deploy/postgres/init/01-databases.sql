-- One database per service in the compose PostgreSQL (run once by the image's entrypoint, as POSTGRES_USER
-- `npc`, on an empty data directory). Safe to run again by hand:
--   docker compose exec -T postgres psql -U npc -d npc -f /docker-entrypoint-initdb.d/01-databases.sql
-- Each service creates its own tables with its Alembic migrations when it starts.
-- Keep the names in step with the DATABASE_URLs in docker-compose.yml (tests/deploy checks them).

SELECT format('CREATE DATABASE %I OWNER npc ENCODING %L TEMPLATE template0', name, 'UTF8')
FROM (VALUES ('deputies'), ('cases'), ('scoring'), ('notify')) AS wanted(name)
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = wanted.name)
\gexec
