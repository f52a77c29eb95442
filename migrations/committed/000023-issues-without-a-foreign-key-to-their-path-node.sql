--! Previous: sha1:2ef44c267b7f98822b2428e03e298d80009760c2
--! Hash: sha1:b662e7d0767a204f1db5b7c53c129d3e9298c1ae
--! Message: issues without a foreign key to their path node

-- Issues without a foreign key to their path node. Path nodes are never deleted or
-- re-keyed, and processing creates an issue's path node (ensure_paths) in the same
-- transaction, before the issue: the per-row check guarded nothing, yet cost an SPI
-- query and a row lock on the path node for every new issue (a KEY SHARE lock writes
-- the node's heap page), about 1.5 s of a first 100k-issue CL. path_node.parent_id
-- lost its foreign key for the same reason (000017).
alter table ledger_private.issue_instance drop constraint if exists issue_instance_path_node_id_fkey;
