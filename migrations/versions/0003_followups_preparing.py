"""event.followups_preparing_until

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 01:00:00

"Send follow-ups" on the web no longer prepares them inside the request: the matching
engine and the rendering of a large event took longer than a request may. The run goes on
in the background, and this lease tells every app process (and host) that it is under way,
so the page shows it and a second click does not start another run.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followups_preparing_until', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('followups_preparing_until')
