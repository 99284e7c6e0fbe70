"""attendee.magic_link_spent_at: magic links sign in once

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:40:00

A magic link signed in on GET and stayed valid for 30 days: a mail scanner or link prefetcher
that opened it got a session, and anyone who found one in a log could reuse it. Signing in is
now a POST from the link's page, and it spends the link: links issued at or before this
instant no longer sign in (a newer one does).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('magic_link_spent_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.drop_column('magic_link_spent_at')
