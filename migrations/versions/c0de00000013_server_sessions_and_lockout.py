"""server-side sessions and account lockout

Revision ID: c0de00000013
Revises: c0de00000008
Create Date: 2026-11-30 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0de00000013'
down_revision = "c0de00000008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auth_session',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_hash')
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auth_session_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lockout_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('lockout_window_start', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ab_user_locked_until'), ['locked_until'], unique=False)


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ab_user_locked_until'))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('lockout_window_start')
        batch_op.drop_column('lockout_failures')

    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_auth_session_expires_at'))

    op.drop_table('auth_session')
