"""outbox bodies in their own table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 22:00:00

Status changes rewrite an outbox row several times per message; with the ~20 KiB of text
and HTML in that row, SQLite copied its overflow pages into the WAL on every one. The
bodies move to ``outbound_email_body`` (written once), with the existing content.

On SQLite, dropping columns rebuilds ``outbound_email`` (DROP + RENAME), and with foreign
keys on the DROP would cascade into a body table that already referenced it: the bodies
wait in a plain copy until the rebuild is done.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE outbound_email_body_copy AS "
               "SELECT id AS email_id, body_text AS text, body_html AS html "
               "FROM outbound_email")
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.drop_column('body_html')
        batch_op.drop_column('body_text')
    op.create_table('outbound_email_body',
    sa.Column('email_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['email_id'], ['outbound_email.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('email_id')
    )
    op.execute("INSERT INTO outbound_email_body (email_id, text, html) "
               "SELECT email_id, text, html FROM outbound_email_body_copy")
    op.drop_table('outbound_email_body_copy')


def downgrade():
    op.execute("CREATE TABLE outbound_email_body_copy AS "
               "SELECT email_id, text, html FROM outbound_email_body")
    op.drop_table('outbound_email_body')
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_text', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('body_html', sa.Text(), nullable=False,
                                      server_default=''))
    op.execute("UPDATE outbound_email SET "
               "body_text = (SELECT text FROM outbound_email_body_copy c "
               "WHERE c.email_id = outbound_email.id), "
               "body_html = (SELECT html FROM outbound_email_body_copy c "
               "WHERE c.email_id = outbound_email.id) "
               "WHERE id IN (SELECT email_id FROM outbound_email_body_copy)")
    with op.batch_alter_table('outbound_email', schema=None) as batch_op:
        batch_op.alter_column('body_text', server_default=None)
        batch_op.alter_column('body_html', server_default=None)
    op.drop_table('outbound_email_body_copy')
